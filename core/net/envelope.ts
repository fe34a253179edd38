import type { Peer } from "./peer.ts";

/** Why a datagram was refused by a {@linkcode DatagramEnvelope}. */
export type EnvelopeDropReason =
  /** A plaintext frame (without legacy compatibility) or anything that is not an envelope. */
  | "no-envelope"
  /** Sealed under a key id the keyring does not hold. */
  | "unknown-key"
  /** The authentication tag does not verify: forged, corrupted or sealed under another key with the same id. */
  | "unauthentic"
  /** Its timestamp is outside the replay window. */
  | "stale"
  /** Its message id was seen already within the window. */
  | "replayed"
  /** A signature that does not verify, names another receiver, or a sender id that its key does not own. */
  | "forged-id"
  /** Unsigned, from an address whose key has not been proven yet. */
  | "unproven";

/** The frame inside an accepted datagram. */
export interface OpenedDatagram {
  /** The legacy frame (kind byte, message id, msgpack). */
  readonly frame: Uint8Array;
  /** The node id the sender proved it owns; absent for a legacy plaintext frame. */
  readonly senderId?: Uint8Array;
  /** Whether it came as legacy plaintext (and is to be answered so). */
  readonly plain: boolean;
}

/**
 * What a secure transport wraps every datagram in (see core/security): seals outgoing frames, opens incoming
 * ones, and knows which node id each peer address has proven. The plain transport has none.
 */
export interface DatagramEnvelope {
  /** Wraps an outgoing frame for `to`, sent from `self` (the bound address). */
  seal(frame: Uint8Array, to: Peer, self: Peer): Uint8Array;
  /** Unwraps a datagram `from` a peer; a string says why it is refused. */
  open(datagram: Uint8Array, from: Peer): OpenedDatagram | EnvelopeDropReason;
  /** Whether `peer` has proven it owns `id` (or, in legacy compatibility, is a configured legacy peer). */
  vouches(peer: Peer, id: Uint8Array): boolean;
  /** A request to `peer` went unanswered: it may have forgotten our key, so prove it again. */
  peerSilent(peer: Peer): void;
}

/** The sender of a request as its handler sees it: the address, and in secure mode the id it proved it owns. */
export interface Sender extends Peer {
  readonly provenId?: Uint8Array;
}
