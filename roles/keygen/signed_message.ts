/**
 * The signed content of a sealed message and of its reply. A message is signed by its sender's Ed25519 identity
 * over a label, the method (the message's kind), the sender's and the receiver's sealing keys, the sender's
 * identity, a timestamp, a random message id and the body; a reply is signed by the receiver over a label, that
 * message id and the outcome. So a message names who sent it (provably) and for whom, and a reply answers one
 * message.
 */
import { decode, encode } from "@msgpack/msgpack";
import { equalBytes } from "../../core/bytes.ts";
import { type SigningIdentity, verifySignature } from "../../core/crypto/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

const MESSAGE_LABEL = "cqkd sealed message v2";
const REPLY_LABEL = "cqkd sealed reply v2";
const BINDING_LABEL = new TextEncoder().encode("cqkd sealing key v2");

/** A message whose signature checked out. */
export interface SignedMessage {
  method: string;
  senderKey: Uint8Array;
  recipientKey: Uint8Array;
  identity: Uint8Array;
  sentAtMs: number;
  messageId: Uint8Array;
  body: unknown;
  certificate?: Uint8Array;
}

/** The plaintext of a message from `identity` (sealing key `senderKey`) to the holder of `recipientKey`. */
export function signMessage(
  identity: SigningIdentity,
  message: Omit<SignedMessage, "identity" | "sentAtMs">,
): Uint8Array {
  const { method, senderKey, recipientKey, messageId, body, certificate } = message;
  const signed = encode([
    MESSAGE_LABEL,
    method,
    senderKey,
    recipientKey,
    identity.publicKey,
    runtime.now(),
    messageId,
    body,
  ]);
  return encode([signed, identity.sign(signed), certificate ?? null]);
}

/** The content of a message's plaintext, or undefined when it is malformed or its signature does not verify. */
export function openMessage(plain: Uint8Array): SignedMessage | undefined {
  const [signed, signature, certificate] = asArray(decodeSafely(plain));
  if (!(signed instanceof Uint8Array) || !(signature instanceof Uint8Array)) return undefined;
  const [label, method, senderKey, recipientKey, identity, sentAtMs, messageId, body] = asArray(decodeSafely(signed));
  if (
    label !== MESSAGE_LABEL || typeof method !== "string" || !(senderKey instanceof Uint8Array) ||
    !(recipientKey instanceof Uint8Array) || !(identity instanceof Uint8Array) || typeof sentAtMs !== "number" ||
    !(messageId instanceof Uint8Array) || !verifySignature(identity, signed, signature)
  ) return undefined;
  return {
    method,
    senderKey,
    recipientKey,
    identity,
    sentAtMs,
    messageId,
    body,
    ...(certificate instanceof Uint8Array ? { certificate } : {}),
  };
}

/** The plaintext of the reply to message `messageId`: the handler's outcome, signed by `identity`. */
export function signReply(identity: SigningIdentity, messageId: Uint8Array, ok: boolean, value: unknown): Uint8Array {
  const replyBytes = encode([REPLY_LABEL, messageId, ok, value]);
  return encode([replyBytes, identity.sign(replyBytes)]);
}

/**
 * The outcome in a reply's plaintext, or undefined when it is not signed by `identity` or answers another message.
 */
export function openReply(
  plain: Uint8Array,
  identity: Uint8Array,
  messageId: Uint8Array,
): { ok: boolean; value: unknown } | undefined {
  const [replyBytes, signature] = asArray(decodeSafely(plain));
  if (
    !(replyBytes instanceof Uint8Array) || !(signature instanceof Uint8Array) ||
    !verifySignature(identity, replyBytes, signature)
  ) return undefined;
  const [label, answered, ok, value] = asArray(decodeSafely(replyBytes));
  if (label !== REPLY_LABEL || !(answered instanceof Uint8Array) || !equalBytes(answered, messageId)) return undefined;
  return { ok: ok === true, value };
}

/** What an identity signs to bind its sealing key. */
export function bindingBytes(key: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(BINDING_LABEL.length + key.length);
  bytes.set(BINDING_LABEL);
  bytes.set(key, BINDING_LABEL.length);
  return bytes;
}

function decodeSafely(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch {
    return undefined;
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
