import { formatPeer, type Peer } from "./peer.ts";

/** Raised when a peer does not answer a request in time. */
export class RpcTimeoutError extends Error {
  override name = "RpcTimeoutError";
  constructor(readonly method: string, readonly peer: Peer, readonly timeoutMs: number) {
    super(`No answer to ${method} from ${formatPeer(peer)} within ${timeoutMs} ms`);
  }
}

/** Raised by an RPC handler for arguments of the wrong shape; the request gets no answer, as with legacy nodes. */
export class RpcArgumentError extends TypeError {
  override name = "RpcArgumentError";
}

/** Raised for requests still pending when the transport closes. */
export class TransportClosedError extends Error {
  override name = "TransportClosedError";
  constructor() {
    super("Cannot complete the request: the transport is closed");
  }
}

/**
 * Raised when a peer claims a node id that its key does not own (secure mode): a request naming another sender,
 * or an answer from another node than the contact called. The request is dropped and counted as `forged-id`.
 */
export class ForgedIdentityError extends Error {
  override name = "ForgedIdentityError";
  constructor(readonly peer: Peer, readonly claimedIdHex: string) {
    super(`Refusing ${formatPeer(peer)}: it has not proven it owns node id ${claimedIdHex}`);
  }
}

/**
 * Raised by a handler for a request from a node id the receiver has blocked (an operator isolated it): the request
 * is dropped unanswered and counted as `blocked`.
 */
export class BlockedPeerError extends Error {
  override name = "BlockedPeerError";
  constructor(readonly peer: Peer, readonly idHex: string) {
    super(`Refusing ${formatPeer(peer)}: node id ${idHex} is blocked`);
  }
}
