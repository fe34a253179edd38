/** Sealing a message to a recipient's public key: only the holder of the matching private key can open it. */
import { deriveMessageKey, gcmParams, SEAL_HEADER_BYTES, SEAL_VERSION } from "./_sealing.ts";
import { exportPublicKey, importPublicKey } from "./public_key.ts";

/** Options of {@linkcode seal} and of opening. */
export interface SealOptions {
  /**
   * Data the message is bound to without carrying it (a session id, a role, the method name): opening with
   * other associated data fails. @default {an empty array}
   */
  associatedData?: Uint8Array;
}

/**
 * Encrypts and authenticates `message` for the holder of `recipientPublicKey`: an ephemeral X25519 key agreement,
 * HKDF-SHA-256, AES-256-GCM. The result is 49 bytes longer than the message.
 *
 * @param recipientPublicKey the recipient's raw 32-byte X25519 public key
 * @throws {TypeError} when the public key is not 32 bytes or is a low-order point
 * @example
 * ```ts
 * import { NodeKeyPair, seal } from "./mod.ts";
 * const bob = await NodeKeyPair.generate();
 * const sealed = await seal(new TextEncoder().encode("batch 7"), bob.publicKey);
 * console.assert(new TextDecoder().decode(await bob.open(sealed)) === "batch 7");
 * ```
 */
export async function seal(
  message: Uint8Array,
  recipientPublicKey: Uint8Array,
  options: SealOptions = {},
): Promise<Uint8Array> {
  const recipient = await importPublicKey(recipientPublicKey);
  const ephemeral = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]) as CryptoKeyPair;
  const ephemeralPublic = await exportPublicKey(ephemeral.publicKey);
  let messageKey;
  try {
    messageKey = await deriveMessageKey(ephemeral.privateKey, recipient, ephemeralPublic, recipientPublicKey);
  } catch (error) {
    throw new TypeError("Cannot seal to this public key: it is a low-order point", { cause: error });
  }
  const ciphertext = await crypto.subtle.encrypt(
    gcmParams(messageKey, options.associatedData),
    messageKey.key,
    message as Uint8Array<ArrayBuffer>,
  );
  const sealed = new Uint8Array(SEAL_HEADER_BYTES + ciphertext.byteLength);
  sealed[0] = SEAL_VERSION;
  sealed.set(ephemeralPublic, 1);
  sealed.set(new Uint8Array(ciphertext), SEAL_HEADER_BYTES);
  return sealed;
}
