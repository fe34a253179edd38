/**
 * Key confirmation: Alice sends a short tag of her reconciled bits, HMAC-SHA-256 keyed with them over a fresh
 * session nonce; Bob computes his and compares. Equal tags mean equal bits but for a 2^-t chance. The tag is taken
 * before privacy amplification, so its t bits count as disclosed in the secure length and the amplified key keeps
 * its full secrecy (a tag of the final key would take t bits from it).
 */
import { equalBytes } from "../../core/bytes.ts";
import { packBits } from "./bits.ts";
import { KeyConfirmationError } from "./errors.ts";
import { DEFAULT_SECURITY } from "./secure_length.ts";

const LABEL = new TextEncoder().encode("cqkd key confirmation");

/**
 * The confirmation tag of a key (bits, one per byte) for a session nonce.
 *
 * @param tagBits tag length: a multiple of 8 within 8-256
 * @throws {RangeError} when the key is empty or `tagBits` is out of range
 */
export async function confirmationTag(
  key: Uint8Array,
  nonce: Uint8Array,
  tagBits: number = DEFAULT_SECURITY.confirmationBits,
): Promise<Uint8Array> {
  if (key.length === 0) throw new RangeError("Cannot confirm an empty key");
  if (!Number.isInteger(tagBits) || tagBits % 8 !== 0 || tagBits < 8 || tagBits > 256) {
    throw new RangeError(`Cannot make a confirmation tag of ${tagBits} bits: expected a multiple of 8 within 8-256`);
  }
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    packBits(key) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  // The key's length in bits goes in too: keys differing only in trailing zero bits pack to the same bytes.
  const message = new Uint8Array(LABEL.length + 4 + nonce.length);
  message.set(LABEL);
  new DataView(message.buffer).setUint32(LABEL.length, key.length);
  message.set(nonce, LABEL.length + 4);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, message));
  return mac.slice(0, tagBits / 8);
}

/**
 * Bob's check of Alice's tag against his own key.
 *
 * @throws {KeyConfirmationError} when the tags differ
 */
export async function verifyConfirmation(key: Uint8Array, nonce: Uint8Array, peerTag: Uint8Array): Promise<void> {
  const own = await confirmationTag(key, nonce, peerTag.length * 8);
  if (!equalBytes(own, peerTag)) throw new KeyConfirmationError();
}
