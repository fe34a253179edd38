/** Why a key exchange stops without a key: each cause is a subclass with the figures behind it. */

/** A session ended without a shared key; the message is the reason reported to the user. */
export class SessionAbortError extends Error {
  override name = "SessionAbortError";
}

/** The estimated QBER is above the threshold: too much noise, or an eavesdropper. */
export class QberThresholdError extends SessionAbortError {
  override name = "QberThresholdError";
  constructor(readonly qber: number, readonly threshold: number, readonly sampleBits: number) {
    super(
      `Cannot continue the session: QBER ${qber.toFixed(3)} exceeds the threshold ${threshold} ` +
        `(estimated on ${sampleBits} sample bits)`,
    );
  }
}

/** Alice's and Bob's final keys differ after error correction (their confirmation tags disagree). */
export class KeyConfirmationError extends SessionAbortError {
  override name = "KeyConfirmationError";
  constructor() {
    super("Cannot confirm the key: Alice's and Bob's confirmation tags differ after error correction");
  }
}

/** The session ran out of rounds before privacy amplification could leave the requested number of bits. */
export class KeyMaterialError extends SessionAbortError {
  override name = "KeyMaterialError";
  constructor(
    readonly requestedBits: number,
    readonly secureBits: number,
    readonly rawPositions: number,
    readonly rounds: number,
  ) {
    super(
      `Cannot produce a ${requestedBits}-bit key: ${rawPositions} positions in ${rounds} ` +
        `round${rounds === 1 ? "" : "s"} leave only ` +
        `${secureBits} secure bits`,
    );
  }
}
