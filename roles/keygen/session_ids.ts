import { runtime } from "../../core/runtime/mod.ts";
/** Names both sides of a session derive alike: its DHT key and the ids of the keys it stores. */

/** The DHT key of a session's announcement. */
export function sessionKey(session: string): string {
  return `cqkd-session:${session}`;
}

/** A fresh session id: 16 random hex digits. */
export function newSessionId(): string {
  return hexOf(runtime.randomBytes(new Uint8Array(8)));
}

/** A fresh batch id: 128 random bits, 32 hex digits (unguessable, so no one outside the batch can name it). */
export function newBatchId(): string {
  return hexOf(runtime.randomBytes(new Uint8Array(16)));
}

/**
 * The key-store id (a UUID, version 8: derived) of the `index`th key of a session: SHA-256 of the session id and
 * the index, so that Alice and Bob name the key alike without sending its id.
 *
 * @example
 * ```ts
 * import { keyIdOf } from "./session_ids.ts";
 * console.assert(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(await keyIdOf("00ff", 0)));
 * ```
 */
export async function keyIdOf(session: string, index: number): Promise<string> {
  const input = new TextEncoder().encode(`cqkd key id\0${session}\0${index}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input)).slice(0, 16);
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = hexOf(digest);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Shortest key whose fingerprint may be shown: below it, 64 bits of hash would narrow a key search too much. */
export const MIN_FINGERPRINT_BITS = 128;

/**
 * A key's fingerprint (16 hex digits: the first 64 bits of SHA-256 over a label and the packed key), or null for a
 * key shorter than {@linkcode MIN_FINGERPRINT_BITS}.
 */
export async function keyFingerprint(bits: Uint8Array): Promise<string | null> {
  if (bits.length < MIN_FINGERPRINT_BITS) return null;
  const label = new TextEncoder().encode(`cqkd key fingerprint\0${bits.length}\0`);
  const input = new Uint8Array(label.length + Math.ceil(bits.length / 8));
  input.set(label);
  for (let i = 0; i < bits.length; i++) input[label.length + (i >>> 3)]! |= (bits[i]! & 1) << (7 - (i & 7));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  return hexOf(digest.subarray(0, 8));
}
