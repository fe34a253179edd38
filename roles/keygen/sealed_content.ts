/**
 * The content of a sealed message and of its reply, and how each side knows who wrote it.
 *
 * Both travel sealed under the key the two messengers' X25519 keys agree on (pair_cipher.ts), which only the holders
 * of those two keys can compute; the header that names the sender's key and the direction (message or reply) are
 * authenticated with it. What remains is to know whose key it is: every message and every reply carries the writer's
 * Ed25519 identity and its signature over its X25519 key (the binding), checked once per (identity, key) and then
 * remembered. So a message names who sent it (provably: an identity signs only its own key, and the content cannot be
 * altered without the pair key) and for whom, and a reply answers one message.
 *
 * One signature per messenger and one check per peer replace a signature and a check per message and per reply,
 * which cost a quarter of a key-generating cluster's CPU. The price: someone holding a node's X25519 private key
 * (its process's memory, where the identity key lives too) could write to that node as anyone.
 */
import { decode, encode } from "@msgpack/msgpack";
import { equalBytes, toHex } from "../../core/bytes.ts";
import { verifySignature } from "../../core/crypto/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

const MESSAGE_LABEL = "cqkd sealed message v3";
const REPLY_LABEL = "cqkd sealed reply v3";
const BINDING_LABEL = new TextEncoder().encode("cqkd sealing key v2");

/** The writer of a message or reply: its identity and that identity's signature over its sealing key. */
export interface Writer {
  identity: Uint8Array;
  binding: Uint8Array;
}

/** A message whose writer checked out. */
export interface AuthenticMessage {
  method: string;
  senderKey: Uint8Array;
  recipientKey: Uint8Array;
  identity: Uint8Array;
  sentAtMs: number;
  messageId: Uint8Array;
  body: unknown;
  certificate?: Uint8Array;
}

/** What an identity signs to bind its sealing key. */
export function bindingBytes(key: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(BINDING_LABEL.length + key.length);
  bytes.set(BINDING_LABEL);
  bytes.set(key, BINDING_LABEL.length);
  return bytes;
}

/** (identity, key) pairs whose binding verified, so that a peer's binding is checked once; oldest dropped first. */
const VERIFIED_LIMIT = 8192;
const verified = new Set<string>();

/** Whether `binding` is `identity`'s signature over sealing key `key` (remembered once it is). */
export function isBound(identity: Uint8Array, key: Uint8Array, binding: Uint8Array): boolean {
  const pair = toHex(identity) + toHex(key);
  if (verified.has(pair)) return true;
  if (!verifySignature(identity, bindingBytes(key), binding)) return false;
  if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.values().next().value!);
  verified.add(pair);
  return true;
}

/** The plaintext of a message from `writer` (sealing key `senderKey`) to the holder of `recipientKey`. */
export function messageContent(
  writer: Writer,
  message: Omit<AuthenticMessage, "identity" | "sentAtMs">,
): Uint8Array {
  const { method, senderKey, recipientKey, messageId, body, certificate } = message;
  return encode([
    MESSAGE_LABEL,
    method,
    senderKey,
    recipientKey,
    writer.identity,
    writer.binding,
    runtime.now(),
    messageId,
    body,
    certificate ?? null,
  ]);
}

/**
 * The message in a plaintext that opened under the pair key of `sealedBy`, or undefined when it is malformed, names
 * another sealing key, or its identity did not sign that key.
 */
export function readMessage(plain: Uint8Array, sealedBy: Uint8Array): AuthenticMessage | undefined {
  const [label, method, senderKey, recipientKey, identity, binding, sentAtMs, messageId, body, certificate] = asArray(
    decodeSafely(plain),
  );
  if (
    label !== MESSAGE_LABEL || typeof method !== "string" || !(senderKey instanceof Uint8Array) ||
    !equalBytes(senderKey, sealedBy) || !(recipientKey instanceof Uint8Array) || !(identity instanceof Uint8Array) ||
    !(binding instanceof Uint8Array) || typeof sentAtMs !== "number" || !(messageId instanceof Uint8Array) ||
    !isBound(identity, senderKey, binding)
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

/** The plaintext of `writer`'s reply to message `messageId`: the handler's outcome. */
export function replyContent(writer: Writer, messageId: Uint8Array, ok: boolean, value: unknown): Uint8Array {
  return encode([REPLY_LABEL, messageId, ok, value, writer.identity, writer.binding]);
}

/**
 * The outcome in a reply's plaintext that opened under the pair key of `sealedBy`, or undefined when it answers
 * another message or is not from `identity` (which must have signed `sealedBy`).
 */
export function readReply(
  plain: Uint8Array,
  sealedBy: Uint8Array,
  identity: Uint8Array,
  messageId: Uint8Array,
): { ok: boolean; value: unknown } | undefined {
  const [label, answered, ok, value, writer, binding] = asArray(decodeSafely(plain));
  if (
    label !== REPLY_LABEL || !(answered instanceof Uint8Array) || !equalBytes(answered, messageId) ||
    !(writer instanceof Uint8Array) || !equalBytes(writer, identity) || !(binding instanceof Uint8Array) ||
    !isBound(identity, sealedBy, binding)
  ) return undefined;
  return { ok: ok === true, value };
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
