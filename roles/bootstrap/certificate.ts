/**
 * Bootstrap certificates: a cluster authority's Ed25519 signature over a bootstrap node's public key, a name and an
 * expiry, so that joiners need to trust one authority key instead of listing every bootstrap key. On the wire and
 * in settings it is the base64 text of the msgpack array `["cqkd/bcert1", key: bin32, name, expiresAtMs,
 * signature: bin64]`; the signature covers the first four entries.
 */
import { type AuthorityCertificate, CertificateKind, type SigningIdentity } from "../../core/crypto/mod.ts";

const KIND = new CertificateKind({
  tag: "cqkd/bcert1",
  claims: 1,
  noun: "bootstrap certificate",
  problemNoun: "certificate",
});

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
  const { name = "", ...issue } = options;
  return bootstrapCertificate(KIND.issue(authority, publicKey, [name], issue));
}

/** The base64 text of a certificate, as the `bootstrap_certificate` setting takes it. */
export function certificateText(certificate: BootstrapCertificate): string {
  return CertificateKind.text(certificate);
}

/**
 * Reads a certificate from its bytes or base64 text, without checking the signature.
 * @throws {TypeError} when it is not a bootstrap certificate
 */
export function parseBootstrapCertificate(data: Uint8Array | string): BootstrapCertificate {
  return bootstrapCertificate(KIND.parse(data));
}

/** Why a certificate does not vouch for its key under `authorityKey` at `nowMs`; undefined when it does. */
export function certificateProblem(
  certificate: BootstrapCertificate,
  authorityKey: Uint8Array,
  nowMs?: number,
): string | undefined {
  const { name, ...rest } = certificate;
  return KIND.problem({ ...rest, claims: [name] }, authorityKey, nowMs);
}

function bootstrapCertificate({ claims, ...rest }: AuthorityCertificate): BootstrapCertificate {
  return { ...rest, name: claims[0]! };
}
