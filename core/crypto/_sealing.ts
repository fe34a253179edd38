/**
 * The sealed-message format shared by sealing and opening: `[version 1][ephemeral public key 32][AES-256-GCM
 * ciphertext + 16-byte tag]`. Key and nonce come from HKDF-SHA-256 over the X25519 secret, salted with both public
 * keys, so each message has its own key and the nonce needs no room on the wire.
 */
import { PUBLIC_KEY_BYTES } from "./public_key.ts";

/** Format byte of sealed messages. */
export const SEAL_VERSION = 1;
/** Bytes before the ciphertext. */
export const SEAL_HEADER_BYTES = 1 + PUBLIC_KEY_BYTES;
/** The AES-GCM tag length. */
export const SEAL_TAG_BYTES = 16;

const INFO = new TextEncoder().encode(`cqkd seal v${SEAL_VERSION}`);

/** The AES-GCM key and nonce of one message. */
export interface MessageKey {
  key: CryptoKey;
  iv: Uint8Array<ArrayBuffer>;
}

/** The AES-GCM parameters of a message bound to `associatedData` (none by default). */
export function gcmParams(messageKey: MessageKey, associatedData: Uint8Array = new Uint8Array()): AesGcmParams {
  return { name: "AES-GCM", iv: messageKey.iv, additionalData: associatedData as Uint8Array<ArrayBuffer> };
}

/** Derives the message key from our private key and their public key (one of the two is ephemeral). */
export async function deriveMessageKey(
  privateKey: CryptoKey,
  peerPublicKey: CryptoKey,
  ephemeralPublic: Uint8Array,
  recipientPublic: Uint8Array,
): Promise<MessageKey> {
  const shared = await crypto.subtle.deriveBits({ name: "X25519", public: peerPublicKey }, privateKey, 256);
  const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const salt = new Uint8Array(2 * PUBLIC_KEY_BYTES);
  salt.set(ephemeralPublic);
  salt.set(recipientPublic, PUBLIC_KEY_BYTES);
  const material = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: INFO }, ikm, (32 + 12) * 8),
  );
  const key = await crypto.subtle.importKey("raw", material.subarray(0, 32), "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
  return { key, iv: material.slice(32) };
}
