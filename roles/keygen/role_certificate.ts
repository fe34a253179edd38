/**
 * Role certificates: the cluster authority's Ed25519 signature over a node's identity key, the key-exchange role it
 * may take (alice or bob), a name and an expiry. Alice and Bob who trust the authority key accept each other on such
 * a certificate instead of pinning each other's keys. On the wire and in settings it is the base64 text of the
 * msgpack array `["cqkd/rcert1", key: bin32, role, name, expiresAtMs, signature: bin64]`; the signature covers the
 * first five entries.
 */
import { equalBytes } from "../../core/bytes.ts";
import { type AuthorityCertificate, CertificateKind, type SigningIdentity } from "../../core/crypto/mod.ts";

const KIND = new CertificateKind({ tag: "cqkd/rcert1", claims: 2, noun: "role certificate" });

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
  const { name = "", ...issue } = options;
  if (!KEYGEN_ROLES.includes(role)) throw new RangeError(`Cannot certify role ${role}: expected alice or bob`);
  return roleCertificate(KIND.issue(authority, publicKey, [role, name], issue));
}

/** The base64 text of a certificate (the `role_certificate` setting). */
export function roleCertificateText(certificate: RoleCertificate): string {
  return CertificateKind.text(certificate);
}

/**
 * Reads a role certificate from its bytes or base64 text, without checking the signature.
 * @throws {TypeError} when it is not one
 */
export function parseRoleCertificate(data: Uint8Array | string): RoleCertificate {
  const certificate = KIND.parse(data);
  if (!(KEYGEN_ROLES as readonly string[]).includes(certificate.claims[0]!)) {
    throw new TypeError(`Expected a ${KIND.noun} (base64 of ${KIND.tag})`);
  }
  return roleCertificate(certificate);
}

/**
 * Why `bytes` does not certify `identity` as `role` under `authorityKey` at `nowMs`; undefined when it does.
 */
export function roleCertificateProblem(
  bytes: Uint8Array,
  authorityKey: Uint8Array,
  identity: Uint8Array,
  role: KeygenRole,
  nowMs?: number,
): string | undefined {
  let certificate: RoleCertificate;
  try {
    certificate = parseRoleCertificate(bytes);
  } catch (error) {
    return (error as Error).message;
  }
  const { role: certified, name, ...rest } = certificate;
  if (!equalBytes(certificate.publicKey, identity)) return "its role certificate names another key";
  if (certified !== role) return `its role certificate is for ${certified}, not ${role}`;
  return KIND.problem({ ...rest, claims: [certified, name] }, authorityKey, nowMs);
}

function roleCertificate({ claims, ...rest }: AuthorityCertificate): RoleCertificate {
  return { ...rest, role: claims[0] as KeygenRole, name: claims[1]! };
}
