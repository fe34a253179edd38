/**
 * Authority certificates: a cluster authority's Ed25519 signature over a node's public key, a few claims (a name, a
 * role) and an expiry. On the wire and in settings one is the base64 text of the msgpack array
 * `[tag, key: bin32, ...claims: string, expiresAtMs, signature: bin64]`; the signature covers all but itself. The
 * tag names the kind (`cqkd/bcert1` bootstrap certificates, `cqkd/rcert1` role certificates), so that a certificate
 * of one kind never passes for another.
 */
import { decode, encode } from "@msgpack/msgpack";
import { toHex } from "../bytes.ts";
import { runtime } from "../runtime/mod.ts";
import { SIGNING_PUBLIC_KEY_BYTES, type SigningIdentity, verifySignature } from "./signing_identity.ts";

/** What sets a kind of authority certificate apart: its tag, how many claims it carries, what it is called. */
export interface CertificateKindOptions {
  readonly tag: string;
  readonly claims: number;
  /** What it is called: "bootstrap certificate", "role certificate". */
  readonly noun: string;
  /** What the problems call it ("its certificate expired"). @default the noun */
  readonly problemNoun?: string;
}

/** A certificate as read or issued, whatever its kind. */
export interface AuthorityCertificate {
  /** The certified raw Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The claims, in wire order. */
  readonly claims: readonly string[];
  readonly expiresAtMs: number;
  /** The authority's signature. */
  readonly signature: Uint8Array;
  /** The encoded certificate. */
  readonly bytes: Uint8Array;
}

/** Options of {@linkcode CertificateKind.issue}. */
export interface IssueCertificateOptions {
  /** How long it is valid. @default {31536000} (365 days) */
  validForS?: number;
  /** Clock in milliseconds. @default {runtime.now} */
  now?: () => number;
}

/**
 * One kind of authority certificate: issues, reads and checks certificates with its tag and number of claims.
 *
 * @example
 * ```ts
 * import { CertificateKind, SigningIdentity } from "./mod.ts";
 * const kind = new CertificateKind({ tag: "cqkd/example1", claims: 1, noun: "example certificate" });
 * const authority = SigningIdentity.generate(), node = SigningIdentity.generate();
 * const read = kind.parse(CertificateKind.text(kind.issue(authority, node.publicKey, ["node-1"])));
 * console.assert(read.claims[0] === "node-1" && kind.problem(read, authority.publicKey) === undefined);
 * ```
 */
export class CertificateKind {
  readonly tag: string;
  readonly claims: number;
  readonly noun: string;
  readonly #problemNoun: string;

  constructor(options: CertificateKindOptions) {
    this.tag = options.tag;
    this.claims = options.claims;
    this.noun = options.noun;
    this.#problemNoun = options.problemNoun ?? options.noun;
  }

  /** The base64 text of a certificate, as the settings take it. */
  static text(certificate: Pick<AuthorityCertificate, "bytes">): string {
    return btoa(String.fromCharCode(...certificate.bytes));
  }

  /**
   * Certifies `publicKey` with the authority's key, with `claims`.
   * @throws {RangeError} for a key that is not 32 bytes, the wrong number of claims or a validity that is not > 0
   */
  issue(
    authority: SigningIdentity,
    publicKey: Uint8Array,
    claims: readonly string[],
    options: IssueCertificateOptions = {},
  ): AuthorityCertificate {
    const { validForS = 31_536_000, now = runtime.now } = options;
    if (publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) {
      throw new RangeError(`Cannot certify a public key of ${publicKey.length} bytes: expected 32`);
    }
    if (claims.length !== this.claims) throw new RangeError(`Cannot issue a ${this.noun} with ${claims.length} claims`);
    if (!(validForS > 0)) throw new RangeError(`Cannot issue a certificate valid for ${validForS} s`);
    const expiresAtMs = now() + Math.round(validForS * 1000);
    const signature = authority.sign(this.#signedBytes(publicKey, claims, expiresAtMs));
    const bytes = encode([this.tag, publicKey, ...claims, expiresAtMs, signature]);
    return { publicKey, claims, expiresAtMs, signature, bytes };
  }

  /**
   * Reads a certificate of this kind from its bytes or base64 text, without checking the signature.
   * @throws {TypeError} when it is not one
   */
  parse(data: Uint8Array | string): AuthorityCertificate {
    const fail = () => new TypeError(`Expected a ${this.noun} (base64 of ${this.tag})`);
    let bytes: Uint8Array;
    let fields: unknown;
    try {
      bytes = typeof data === "string" ? Uint8Array.from(atob(data.trim()), (c) => c.charCodeAt(0)) : data;
      fields = decode(bytes);
    } catch {
      throw fail();
    }
    if (!Array.isArray(fields) || fields.length !== this.claims + 4 || fields[0] !== this.tag) throw fail();
    const [publicKey, ...claims] = fields.slice(1);
    const [expiresAtMs, signature] = claims.splice(this.claims);
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== SIGNING_PUBLIC_KEY_BYTES) throw fail();
    if (!claims.every((claim) => typeof claim === "string") || !Number.isSafeInteger(expiresAtMs)) throw fail();
    if (!(signature instanceof Uint8Array)) throw fail();
    return { publicKey, claims: claims as string[], expiresAtMs: expiresAtMs as number, signature, bytes };
  }

  /**
   * Why a certificate is not the authority's, or no longer valid at `nowMs`; undefined when it is both. The message
   * reads after a subject: "[the node:] its certificate expired at …".
   */
  problem(
    certificate: AuthorityCertificate,
    authorityKey: Uint8Array,
    nowMs: number = runtime.now(),
  ): string | undefined {
    const { publicKey, claims, expiresAtMs, signature } = certificate;
    if (!verifySignature(authorityKey, this.#signedBytes(publicKey, claims, expiresAtMs), signature)) {
      return `its ${this.#problemNoun} is not signed by the authority key ${toHex(authorityKey).slice(0, 16)}…`;
    }
    if (nowMs >= expiresAtMs) return `its ${this.#problemNoun} expired at ${new Date(expiresAtMs).toISOString()}`;
    return undefined;
  }

  #signedBytes(publicKey: Uint8Array, claims: readonly string[], expiresAtMs: number): Uint8Array {
    return encode([this.tag, publicKey, ...claims, expiresAtMs]);
  }
}
