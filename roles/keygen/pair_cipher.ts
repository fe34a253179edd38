/**
 * Encryption between two messengers: one X25519 agreement per pair of keys (cached), HKDF-SHA-256 into an AES-256-GCM
 * key, a fresh random nonce per message. Sealing each message to the receiver with an ephemeral key pair cost two
 * X25519 key generations and agreements per request and reply (about 2 ms, most of a role assignment's cost when a
 * session spreads over many workers); the pair key costs one agreement per peer. Messages are authenticated by
 * their Ed25519 signatures in any case (signed_message.ts); the messenger's X25519 keys live as long as its process.
 *
 * ```
 * sealed: version 2 (1) | sender's X25519 public key (32) | nonce (12) | AES-256-GCM ciphertext and tag
 * ```
 */
import { toHex } from "../../core/bytes.ts";
import { exportPublicKey, importPublicKey, PUBLIC_KEY_BYTES } from "../../core/crypto/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

const VERSION = 2;
const NONCE_BYTES = 12;
const HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + NONCE_BYTES;
const INFO = new TextEncoder().encode("cqkd pair cipher v2");
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
  readonly #pairs = new Map<string, Promise<CryptoKey>>();

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
    const sealed = new Uint8Array(HEADER_BYTES + plain.length + 16);
    sealed[0] = VERSION;
    sealed.set(this.publicKey, 1);
    const iv = runtime.randomBytes(new Uint8Array(NONCE_BYTES));
    sealed.set(iv, 1 + PUBLIC_KEY_BYTES);
    const cipher = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: associated as Uint8Array<ArrayBuffer> },
      key,
      plain as Uint8Array<ArrayBuffer>,
    );
    sealed.set(new Uint8Array(cipher), HEADER_BYTES);
    return sealed;
  }

  /**
   * Opens a message sealed for this key pair; returns it and the sender's X25519 key.
   * @throws {PairCipherError} when it is malformed, altered or bound to other associated data
   */
  async open(sealed: Uint8Array, associated: Uint8Array): Promise<{ plain: Uint8Array; sender: Uint8Array }> {
    if (sealed.length < HEADER_BYTES + 16 || sealed[0] !== VERSION) {
      throw new PairCipherError("Cannot open a sealed message: malformed");
    }
    const sender = sealed.slice(1, 1 + PUBLIC_KEY_BYTES);
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: sealed.subarray(1 + PUBLIC_KEY_BYTES, HEADER_BYTES) as Uint8Array<ArrayBuffer>,
          additionalData: associated as Uint8Array<ArrayBuffer>,
        },
        await this.#pairKey(sender),
        sealed.subarray(HEADER_BYTES) as Uint8Array<ArrayBuffer>,
      );
      return { plain: new Uint8Array(plain), sender };
    } catch (error) {
      throw new PairCipherError("Cannot open a sealed message: altered or sealed for another key", { cause: error });
    }
  }

  /** The AES key shared with `peerKey`: HKDF over the X25519 secret, salted with both public keys in order. */
  #pairKey(peerKey: Uint8Array): Promise<CryptoKey> {
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

  async #derive(peerKey: Uint8Array): Promise<CryptoKey> {
    const peer = await importPublicKey(peerKey);
    const shared = await crypto.subtle.deriveBits({ name: "X25519", public: peer }, this.#privateKey, 256);
    const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    const [first, second] = toHex(peerKey) < toHex(this.publicKey)
      ? [peerKey, this.publicKey]
      : [this.publicKey, peerKey];
    const salt = new Uint8Array(2 * PUBLIC_KEY_BYTES);
    salt.set(first);
    salt.set(second, PUBLIC_KEY_BYTES);
    return await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt, info: INFO },
      ikm,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
}
