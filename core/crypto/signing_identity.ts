/**
 * A node's Ed25519 signing identity: the key pair behind its node id in secure mode (the id is the SHA-1 of the
 * public key, so an id cannot be chosen) and behind the signatures on its DHT values and bootstrap answers.
 *
 * node:crypto is used rather than WebCrypto because it signs and verifies synchronously: about 16 µs and 32 µs
 * here against ~60 µs each through WebCrypto's promise hop, which matters on a per-datagram path.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { NodeId } from "../kademlia/node_id.ts";

/** Length of a raw Ed25519 public key in bytes. */
export const SIGNING_PUBLIC_KEY_BYTES = 32;
/** Length of an Ed25519 signature in bytes. */
export const SIGNATURE_BYTES = 64;

/** DER prefix of an SPKI-wrapped Ed25519 public key (RFC 8410); the raw key follows it. */
const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** Raised when a stored identity file cannot be read as an Ed25519 private key. */
export class IdentityFileError extends Error {
  override name = "IdentityFileError";
  constructor(readonly path: string, detail: string, options?: ErrorOptions) {
    super(`Cannot load the node identity from ${path}: ${detail}`, options);
  }
}

/**
 * An Ed25519 key pair. The private key stays in a node:crypto KeyObject; only {@linkcode toPem} exports it, for the
 * node's own state directory.
 *
 * @example
 * ```ts
 * import { SigningIdentity, verifySignature } from "./signing_identity.ts";
 * const identity = SigningIdentity.generate();
 * const data = new TextEncoder().encode("hello");
 * console.assert(verifySignature(identity.publicKey, data, identity.sign(data)));
 * ```
 */
export class SigningIdentity {
  /** The raw 32-byte public key, as sent to peers. */
  readonly publicKey: Uint8Array;
  /** The node id this key pair owns: SHA-1 of {@linkcode publicKey}. */
  readonly nodeId: NodeId;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    this.publicKey = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
    this.nodeId = nodeIdOfPublicKey(this.publicKey);
  }

  /** A fresh random key pair. */
  static generate(): SigningIdentity {
    return new SigningIdentity(generateKeyPairSync("ed25519").privateKey);
  }

  /** The key pair stored in PKCS#8 PEM. @throws {TypeError} when `pem` is not an Ed25519 private key */
  static fromPem(pem: string): SigningIdentity {
    const key = createPrivateKey({ key: pem, format: "pem" });
    if (key.asymmetricKeyType !== "ed25519") {
      throw new TypeError(`expected an Ed25519 private key, got ${key.asymmetricKeyType ?? "an unknown key type"}`);
    }
    return new SigningIdentity(key);
  }

  /**
   * The identity kept at `path`, created there (mode 0600) when the file does not exist yet, so that a node keeps
   * its id across restarts.
   *
   * @throws {IdentityFileError} when the file exists but cannot be read or does not hold an Ed25519 private key
   */
  static async loadOrCreate(path: string): Promise<SigningIdentity> {
    let pem: string;
    try {
      pem = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        // A key the node may not read (a mounted secret owned by another user) is named, not thrown raw.
        throw new IdentityFileError(path, (error as Error).message, { cause: error });
      }
      const identity = SigningIdentity.generate();
      await Deno.writeTextFile(path, identity.toPem(), { mode: 0o600, createNew: true });
      return identity;
    }
    try {
      return SigningIdentity.fromPem(pem);
    } catch (error) {
      throw new IdentityFileError(path, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  /** The private key as PKCS#8 PEM. */
  toPem(): string {
    return this.#privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  }

  /** The 64-byte Ed25519 signature of `data`. */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, data, this.#privateKey));
  }
}

/** Parsed public keys, so that a busy peer's key is decoded once; bounded, oldest dropped first. */
const PUBLIC_KEY_CACHE_LIMIT = 4096;
const publicKeys = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const cacheKey = String.fromCharCode(...publicKey);
  let key = publicKeys.get(cacheKey);
  if (key === undefined) {
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + publicKey.length);
    der.set(SPKI_ED25519_PREFIX);
    der.set(publicKey, SPKI_ED25519_PREFIX.length);
    key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
    if (publicKeys.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `data`. Malformed keys or signatures give false,
 * never an exception: they arrive from the network.
 */
export function verifySignature(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== SIGNING_PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, data, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** The node id owned by an Ed25519 public key: its SHA-1, the 160-bit id space of the legacy network. */
export function nodeIdOfPublicKey(publicKey: Uint8Array): NodeId {
  return NodeId.fromBytes(new Uint8Array(createHash("sha1").update(publicKey).digest()));
}
