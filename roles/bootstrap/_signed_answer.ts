/**
 * The signed form of a bootstrap answer: the map `{body: bin, key: bin32, signature: bin64, certificate?: bin}`,
 * where `body` is the msgpack answer and the signature covers `["cqkd/bootstrap-answer-v1", method, nonce, body]`.
 * The joiner's fresh nonce makes a recorded answer useless later; the method name keeps one RPC's answer from
 * passing for another's.
 */
import { encode } from "@msgpack/msgpack";

/** Length of the nonce a joiner sends to ask for a signed answer. */
export const NONCE_BYTES = 16;

/** A signed answer as it travels. */
export interface SignedAnswer {
  body: Uint8Array;
  key: Uint8Array;
  signature: Uint8Array;
  certificate?: Uint8Array;
}

/** The bytes a bootstrap node signs for one answer. */
export function answerSignedBytes(method: string, nonce: Uint8Array, body: Uint8Array): Uint8Array {
  return encode(["cqkd/bootstrap-answer-v1", method, nonce, body]);
}
