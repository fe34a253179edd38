/** X25519 public keys as raw bytes, the form they take on the wire. */

/** Length of a raw X25519 public key. */
export const PUBLIC_KEY_BYTES = 32;

/**
 * The WebCrypto key of a raw X25519 public key received from a peer.
 *
 * @throws {TypeError} when `bytes` is not 32 bytes long
 */
export async function importPublicKey(bytes: Uint8Array): Promise<CryptoKey> {
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_BYTES) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new TypeError(`Cannot import a public key: expected ${PUBLIC_KEY_BYTES} bytes, got ${got}`);
  }
  return await crypto.subtle.importKey("raw", bytes as Uint8Array<ArrayBuffer>, { name: "X25519" }, true, []);
}

/** The raw 32 bytes of an X25519 public key. */
export async function exportPublicKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey("raw", key));
}
