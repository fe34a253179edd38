/**
 * Encryption between two messengers: one X25519 agreement per pair of keys (cached), HKDF-SHA-256 into an
 * XChaCha20-Poly1305 key, a fresh random nonce per message. Sealing each message to the receiver with an ephemeral key
 * pair cost two X25519 key generations and agreements per request and reply (about 2 ms, most of a role assignment's
 * cost when a session spreads over many workers); the pair key costs one agreement per peer. The AEAD is libsodium's
 * (core/crypto/aead.ts): WebCrypto's AES-GCM cost 20–40 µs of CPU per call whatever the size up to a few KB, a third of
 * a key-generating cluster's CPU; this costs 4–25 µs. Who sealed a message is proven by its writer's identity binding
 * (sealed_content.ts); the messenger's X25519 keys live as long as its process.
 *
 * ```
 * sealed: version 3 (1) | sender's X25519 public key (32) | nonce (24) | XChaCha20-Poly1305 ciphertext and tag
 * ```
 * The version, the sender's key and the nonce are authenticated with the caller's associated data.
 */
import { toHex } from "../../core/bytes.ts";
import {
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  aeadOpen,
  aeadSeal,
  exportPublicKey,
  importPublicKey,
  PUBLIC_KEY_BYTES,
} from "../../core/crypto/mod.ts";

const VERSION = 3;
const HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + AEAD_NONCE_BYTES;
const INFO = new TextEncoder().encode("cqkd pair cipher v3");
/** Pair keys kept; past it the oldest is dropped (and derived again when needed). */
const CACHED_PAIRS = 4096;

/** Raised when a sealed message cannot be opened: malformed, altered, or sealed for another key. */
export class PairCipherError extends Error {
  override name = "PairCipherError";
}

/**
 * One messenger's X25519 key pair and the AES keys it shares with its peers.
 *
 * @example
 * ```ts
 * import { PairCipher } from "./pair_cipher.ts";
 * const alice = await PairCipher.generate(), bob = await PairCipher.generate();
 * const sealed = await alice.seal(bob.publicKey, Uint8Array.of(1, 2), Uint8Array.of(9));
 * const { plain, sender } = await bob.open(sealed, Uint8Array.of(9));
 * console.assert(plain.join() === "1,2" && sender.join() === alice.publicKey.join());
 * ```
 */
export class PairCipher {
  /** The raw 32-byte X25519 public key. */
  readonly publicKey: Uint8Array;
  readonly #privateKey: CryptoKey;
  /** Raw pair keys by the peer's public key (hex). */
  readonly #pairs = new Map<string, Promise<Uint8Array>>();

  private constructor(publicKey: Uint8Array, privateKey: CryptoKey) {
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
  }

  /** A fresh key pair. */
  static async generate(): Promise<PairCipher> {
    const pair = await crypto.subtle.generateKey({ name: "X25519" }, false, ["deriveBits"]) as CryptoKeyPair;
    return new PairCipher(await exportPublicKey(pair.publicKey), pair.privateKey);
  }

  /** `plain` encrypted for the holder of `peerKey`, bound to `associated`. */
  async seal(peerKey: Uint8Array, plain: Uint8Array, associated: Uint8Array): Promise<Uint8Array> {
    const key = await this.#pairKey(peerKey);
    const header = new Uint8Array(HEADER_BYTES); // the nonce, its last bytes, is filled by aeadSeal
    header[0] = VERSION;
    header.set(this.publicKey, 1);
    return aeadSeal(header, [plain], key, associated);
  }

  /**
   * Opens a message sealed for this key pair; returns it and the sender's X25519 key.
   * @throws {PairCipherError} when it is malformed, altered or bound to other associated data
   */
  async open(sealed: Uint8Array, associated: Uint8Array): Promise<{ plain: Uint8Array; sender: Uint8Array }> {
    if (sealed.length < HEADER_BYTES + AEAD_TAG_BYTES || sealed[0] !== VERSION) {
      throw new PairCipherError("Cannot open a sealed message: malformed");
    }
    const sender = sealed.slice(1, 1 + PUBLIC_KEY_BYTES);
    let key: Uint8Array;
    try {
      key = await this.#pairKey(sender);
    } catch (error) {
      throw new PairCipherError("Cannot open a sealed message: the sender's key is not a valid X25519 key", {
        cause: error,
      });
    }
    const plain = aeadOpen(sealed, HEADER_BYTES, key, associated);
    if (plain === undefined) {
      throw new PairCipherError("Cannot open a sealed message: altered or sealed for another key");
    }
    return { plain, sender };
  }

  /** The key shared with `peerKey`: HKDF over the X25519 secret, salted with both public keys in order. */
  #pairKey(peerKey: Uint8Array): Promise<Uint8Array> {
    const id = toHex(peerKey);
    let key = this.#pairs.get(id);
    if (key === undefined) {
      key = this.#derive(peerKey);
      key.catch(() => this.#pairs.delete(id));
      if (this.#pairs.size >= CACHED_PAIRS) this.#pairs.delete(this.#pairs.keys().next().value!);
      this.#pairs.set(id, key);
    }
    return key;
  }

  async #derive(peerKey: Uint8Array): Promise<Uint8Array> {
    const peer = await importPublicKey(peerKey);
    const shared = await crypto.subtle.deriveBits({ name: "X25519", public: peer }, this.#privateKey, 256);
    const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
    const [first, second] = toHex(peerKey) < toHex(this.publicKey)
      ? [peerKey, this.publicKey]
      : [this.publicKey, peerKey];
    const salt = new Uint8Array(2 * PUBLIC_KEY_BYTES);
    salt.set(first);
    salt.set(second, PUBLIC_KEY_BYTES);
    return new Uint8Array(
      await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: INFO }, ikm, 256),
    );
  }
}
