/**
 * Bootstrap certificates: a cluster authority's Ed25519 signature over a bootstrap node's public key, a name and an
 * expiry, so that joiners need to trust one authority key instead of listing every bootstrap key. On the wire and
 * in settings it is the base64 text of the msgpack array `["cqkd/bcert1", key: bin32, name, expiresAtMs,
 * signature: bin64]`; the signature covers the first four entries.
 */
import { decode, encode } from "@msgpack/msgpack";
import { toHex } from "../../core/bytes.ts";
import { SIGNING_PUBLIC_KEY_BYTES, type SigningIdentity, verifySignature } from "../../core/crypto/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

const TAG = "cqkd/bcert1";

/** A bootstrap node's certificate. */
export interface BootstrapCertificate {
  /** The certified raw Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Who it was issued to (informative). */
  readonly name: string;
  readonly expiresAtMs: number;
  /** The authority's signature. */
  readonly signature: Uint8Array;
  /** The encoded certificate, as it travels in signed answers. */
  readonly bytes: Uint8Array;
}

/** Options of {@linkcode issueBootstrapCertificate}. */
export interface IssueOptions {
  /** Who it is for. @default {""} */
  name?: string;
  /** How long it is valid. @default {31536000} (365 days) */
  validForS?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/**
 * Certifies a bootstrap node's public key with the cluster authority's key.
 * @throws {RangeError} for a key that is not 32 bytes or a validity that is not positive
 * @example
 * ```ts
 * import { SigningIdentity } from "../../core/crypto/mod.ts";
 * import {
 *   certificateProblem,
 *   certificateText,
 *   issueBootstrapCertificate,
 *   parseBootstrapCertificate,
 * } from "./certificate.ts";
 * const authority = SigningIdentity.generate();
 * const bootstrap = SigningIdentity.generate();
 * const text = certificateText(issueBootstrapCertificate(authority, bootstrap.publicKey, { name: "super-0" }));
 * console.assert(certificateProblem(parseBootstrapCertificate(text), authority.publicKey) === undefined);
 * ```
 */
export function issueBootstrapCertificate(
  authority: SigningIdentity,
  publicKey: Uint8Array,
  options: IssueOptions = {},
): BootstrapCertificate {
  const { name = "", validForS = 31_536_000, now = runtime.now } = options;
  if (publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) {
    throw new RangeError(`Cannot certify a public key of ${publicKey.length} bytes: expected 32`);
  }
  if (!(validForS > 0)) throw new RangeError(`Cannot issue a certificate valid for ${validForS} s`);
  const expiresAtMs = now() + Math.round(validForS * 1000);
  const signature = authority.sign(signedBytes(publicKey, name, expiresAtMs));
  const bytes = encode([TAG, publicKey, name, expiresAtMs, signature]);
  return { publicKey, name, expiresAtMs, signature, bytes };
}

/** The base64 text of a certificate, as the `bootstrap_certificate` setting takes it. */
export function certificateText(certificate: BootstrapCertificate): string {
  return btoa(String.fromCharCode(...certificate.bytes));
}

/**
 * Reads a certificate from its bytes or base64 text, without checking the signature.
 * @throws {TypeError} when it is not a bootstrap certificate
 */
export function parseBootstrapCertificate(data: Uint8Array | string): BootstrapCertificate {
  const fail = () => new TypeError("Expected a bootstrap certificate (base64 of cqkd/bcert1)");
  let bytes: Uint8Array;
  let fields: unknown;
  try {
    bytes = typeof data === "string" ? Uint8Array.from(atob(data.trim()), (c) => c.charCodeAt(0)) : data;
    fields = decode(bytes);
  } catch {
    throw fail();
  }
  if (!Array.isArray(fields) || fields.length !== 5 || fields[0] !== TAG) throw fail();
  const [, publicKey, name, expiresAtMs, signature] = fields;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) throw fail();
  if (typeof name !== "string" || !Number.isSafeInteger(expiresAtMs) || !(signature instanceof Uint8Array)) {
    throw fail();
  }
  return { publicKey, name, expiresAtMs, signature, bytes };
}

/** Why a certificate does not vouch for its key under `authorityKey` at `nowMs`; undefined when it does. */
export function certificateProblem(
  certificate: BootstrapCertificate,
  authorityKey: Uint8Array,
  nowMs: number = runtime.now(),
): string | undefined {
  const { publicKey, name, expiresAtMs, signature } = certificate;
  if (!verifySignature(authorityKey, signedBytes(publicKey, name, expiresAtMs), signature)) {
    return `its certificate is not signed by the authority key ${toHex(authorityKey).slice(0, 16)}…`;
  }
  if (nowMs >= expiresAtMs) return `its certificate expired at ${new Date(expiresAtMs).toISOString()}`;
  return undefined;
}

function signedBytes(publicKey: Uint8Array, name: string, expiresAtMs: number): Uint8Array {
  return encode([TAG, publicKey, name, expiresAtMs]);
}
