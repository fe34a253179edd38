/** Why a sealed message could not be opened. */
export type SealedMessageProblem = "malformed" | "unauthentic";

/**
 * Raised when a sealed message cannot be opened: it is too short or of an unknown format (`malformed`), or it
 * fails authentication (`unauthentic`: altered, sealed to another key, or bound to other associated data — AES-GCM
 * cannot tell these apart, and an attacker must not learn which).
 */
export class SealedMessageError extends Error {
  override name = "SealedMessageError";
  constructor(readonly problem: SealedMessageProblem, detail: string, options?: ErrorOptions) {
    super(`Cannot open the sealed message: ${detail}`, options);
  }
}
