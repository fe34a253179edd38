/**
 * Role certificates: the cluster authority's Ed25519 signature over a node's identity key, the key-exchange role it
 * may take (alice or bob), a name and an expiry. Alice and Bob who trust the authority key accept each other on such
 * a certificate instead of pinning each other's keys. On the wire and in settings it is the base64 text of the
 * msgpack array `["cqkd/rcert1", key: bin32, role, name, expiresAtMs, signature: bin64]`; the signature covers the
 * first five entries.
 */
import { decode, encode } from "@msgpack/msgpack";
import { equalBytes, toHex } from "../../core/bytes.ts";
import { SIGNING_PUBLIC_KEY_BYTES, type SigningIdentity, verifySignature } from "../../core/crypto/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

const TAG = "cqkd/rcert1";

/** The two key-exchange roles a certificate may grant. */
export const KEYGEN_ROLES = ["alice", "bob"] as const;
/** A key-exchange role. */
export type KeygenRole = typeof KEYGEN_ROLES[number];

/** A role certificate. */
export interface RoleCertificate {
  readonly publicKey: Uint8Array;
  readonly role: KeygenRole;
  readonly name: string;
  readonly expiresAtMs: number;
  readonly signature: Uint8Array;
  /** The encoded certificate, as it travels with the node's public key. */
  readonly bytes: Uint8Array;
}

/**
 * Certifies that `publicKey` may act as `role`.
 * @throws {RangeError} for a key that is not 32 bytes, an unknown role or a validity that is not positive
 * @example
 * ```ts
 * import { SigningIdentity } from "../../core/crypto/mod.ts";
 * import { issueRoleCertificate, roleCertificateProblem } from "./role_certificate.ts";
 * const authority = SigningIdentity.generate(), bob = SigningIdentity.generate();
 * const certificate = issueRoleCertificate(authority, bob.publicKey, "bob");
 * console.assert(roleCertificateProblem(certificate.bytes, authority.publicKey, bob.publicKey, "bob") === undefined);
 * console.assert(roleCertificateProblem(certificate.bytes, authority.publicKey, bob.publicKey, "alice") !== undefined);
 * ```
 */
export function issueRoleCertificate(
  authority: SigningIdentity,
  publicKey: Uint8Array,
  role: KeygenRole,
  options: { name?: string; validForS?: number; now?: () => number } = {},
): RoleCertificate {
  const { name = "", validForS = 31_536_000, now = runtime.now } = options;
  if (publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) {
    throw new RangeError(`Cannot certify a public key of ${publicKey.length} bytes: expected 32`);
  }
  if (!KEYGEN_ROLES.includes(role)) throw new RangeError(`Cannot certify role ${role}: expected alice or bob`);
  if (!(validForS > 0)) throw new RangeError(`Cannot issue a certificate valid for ${validForS} s`);
  const expiresAtMs = now() + Math.round(validForS * 1000);
  const signature = authority.sign(signedBytes(publicKey, role, name, expiresAtMs));
  const bytes = encode([TAG, publicKey, role, name, expiresAtMs, signature]);
  return { publicKey, role, name, expiresAtMs, signature, bytes };
}

/** The base64 text of a certificate (the `role_certificate` setting). */
export function roleCertificateText(certificate: RoleCertificate): string {
  return btoa(String.fromCharCode(...certificate.bytes));
}

/**
 * Reads a role certificate from its bytes or base64 text, without checking the signature.
 * @throws {TypeError} when it is not one
 */
export function parseRoleCertificate(data: Uint8Array | string): RoleCertificate {
  const fail = () => new TypeError("Expected a role certificate (base64 of cqkd/rcert1)");
  let bytes: Uint8Array;
  let fields: unknown;
  try {
    bytes = typeof data === "string" ? Uint8Array.from(atob(data.trim()), (c) => c.charCodeAt(0)) : data;
    fields = decode(bytes);
  } catch {
    throw fail();
  }
  if (!Array.isArray(fields) || fields.length !== 6 || fields[0] !== TAG) throw fail();
  const [, publicKey, role, name, expiresAtMs, signature] = fields;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) throw fail();
  if (!KEYGEN_ROLES.includes(role) || typeof name !== "string" || !Number.isSafeInteger(expiresAtMs)) throw fail();
  if (!(signature instanceof Uint8Array)) throw fail();
  return { publicKey, role, name, expiresAtMs, signature, bytes };
}

/**
 * Why `bytes` does not certify `identity` as `role` under `authorityKey` at `nowMs`; undefined when it does.
 */
export function roleCertificateProblem(
  bytes: Uint8Array,
  authorityKey: Uint8Array,
  identity: Uint8Array,
  role: KeygenRole,
  nowMs: number = runtime.now(),
): string | undefined {
  let certificate: RoleCertificate;
  try {
    certificate = parseRoleCertificate(bytes);
  } catch (error) {
    return (error as Error).message;
  }
  const { publicKey, name, expiresAtMs, signature } = certificate;
  if (!equalBytes(publicKey, identity)) return "its role certificate names another key";
  if (certificate.role !== role) return `its role certificate is for ${certificate.role}, not ${role}`;
  if (!verifySignature(authorityKey, signedBytes(publicKey, certificate.role, name, expiresAtMs), signature)) {
    return `its role certificate is not signed by the authority key ${toHex(authorityKey).slice(0, 16)}…`;
  }
  if (nowMs >= expiresAtMs) return `its role certificate expired at ${new Date(expiresAtMs).toISOString()}`;
  return undefined;
}

function signedBytes(publicKey: Uint8Array, role: string, name: string, expiresAtMs: number): Uint8Array {
  return encode([TAG, publicKey, role, name, expiresAtMs]);
}
