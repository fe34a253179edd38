/**
 * Why a key-exchange message was dropped: each reason is a label of `cqkd_keygen_rejected_total{reason}` and goes
 * to the audit log with a detail (who sent what), never with key material.
 */

/** The reasons a message is dropped. */
export const REJECT_REASONS = [
  /** Not signed by the identity it names, or not readable. */
  "bad_signature",
  /** Signed for another receiver. */
  "wrong_receiver",
  /** A message seen before, or stamped too far from now. */
  "replay",
  /** Alice or Bob that this side does not trust (not pinned, no valid role certificate). */
  "untrusted_peer",
  /** Role data or a session message from a node the assignment or the session does not name. */
  "unexpected_sender",
  /** An array whose length does not match the assignment. */
  "bad_length",
  /** A session message whose sequence number is not above the last one, or of a kind not expected now. */
  "out_of_order",
  /** A message for a session or batch this node does not run. */
  "unknown_session",
  /** A chunk of an unfinished message past its sender's or the node's budget of buffered bytes. */
  "over_budget",
] as const;

/** A reason a message was dropped. */
export type RejectReason = typeof REJECT_REASONS[number];

/** Raised by a handler that drops a message: the messenger's caller sees the message, the counter the reason. */
export class RejectedMessageError extends Error {
  override name = "RejectedMessageError";
  constructor(readonly reason: RejectReason, message: string) {
    super(message);
  }
}
