/** A node's X25519 identity key pair: the public half is shared on the wire, the private half opens sealed data. */
import { deriveMessageKey, gcmParams, SEAL_HEADER_BYTES, SEAL_TAG_BYTES, SEAL_VERSION } from "./_sealing.ts";
import { SealedMessageError } from "./errors.ts";
import { exportPublicKey, importPublicKey } from "./public_key.ts";
import type { SealOptions } from "./seal.ts";

/**
 * A node's X25519 key pair. The private key never leaves WebCrypto (it is not extractable).
 *
 * @example
 * ```ts
 * import { NodeKeyPair, seal } from "./mod.ts";
 * const worker = await NodeKeyPair.generate();
 * const sealed = await seal(new Uint8Array([1, 0, 1]), worker.publicKey);
 * console.assert((await worker.open(sealed)).join() === "1,0,1");
 * ```
 */
export class NodeKeyPair {
  /** The raw 32-byte public key, as sent to peers. */
  readonly publicKey: Uint8Array;
  readonly #privateKey: CryptoKey;

  private constructor(publicKey: Uint8Array, privateKey: CryptoKey) {
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
  }

  /** A fresh random key pair. */
  static async generate(): Promise<NodeKeyPair> {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]) as CryptoKeyPair;
    return new NodeKeyPair(await exportPublicKey(pair.publicKey), pair.privateKey);
  }

  /**
   * Opens a message sealed to this key pair's public key.
   *
   * @throws {SealedMessageError} when the message is malformed or fails authentication
   */
  async open(sealed: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
    if (sealed.length < SEAL_HEADER_BYTES + SEAL_TAG_BYTES) {
      throw new SealedMessageError(
        "malformed",
        `expected at least ${SEAL_HEADER_BYTES + SEAL_TAG_BYTES} bytes, got ${sealed.length}`,
      );
    }
    if (sealed[0] !== SEAL_VERSION) {
      throw new SealedMessageError("malformed", `expected format ${SEAL_VERSION}, got ${sealed[0]}`);
    }
    const ephemeralPublic = sealed.subarray(1, SEAL_HEADER_BYTES);
    try {
      const ephemeral = await importPublicKey(ephemeralPublic);
      const messageKey = await deriveMessageKey(this.#privateKey, ephemeral, ephemeralPublic, this.publicKey);
      const plain = await crypto.subtle.decrypt(
        gcmParams(messageKey, options.associatedData),
        messageKey.key,
        sealed.subarray(SEAL_HEADER_BYTES) as Uint8Array<ArrayBuffer>,
      );
      return new Uint8Array(plain);
    } catch (error) {
      throw new SealedMessageError(
        "unauthentic",
        "it was altered, sealed to another key or bound to other associated data",
        { cause: error },
      );
    }
  }
}
