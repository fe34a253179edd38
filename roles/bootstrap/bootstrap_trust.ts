import { decode } from "@msgpack/msgpack";
import { equalBytes, toHex } from "../../core/bytes.ts";
import { SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, verifySignature } from "../../core/crypto/mod.ts";
import { answerSignedBytes, NONCE_BYTES } from "./_signed_answer.ts";
import { certificateProblem, parseBootstrapCertificate } from "./certificate.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Options of {@linkcode BootstrapTrust}. */
export interface BootstrapTrustOptions {
  /** Raw Ed25519 public keys of the bootstrap nodes trusted directly. @default none */
  trustedKeys?: readonly Uint8Array[];
  /** Raw Ed25519 public key of the cluster authority whose certificates are trusted. @default none */
  authorityKey?: Uint8Array;
  /** Clock in milliseconds (certificate expiry). @default {Date.now} */
  now?: () => number;
}

/** A signed answer opened: the answer, or why it cannot be trusted. */
export type OpenedAnswer = { answer: unknown; key: Uint8Array } | { problem: string };

/**
 * A joiner's trust policy for bootstrap nodes: their answers count only when signed, for the joiner's nonce, by a
 * key in the trust list or certified by the cluster authority.
 *
 * @example
 * ```ts
 * import { SigningIdentity } from "../../core/crypto/mod.ts";
 * import { AnswerSigner, BootstrapTrust } from "./mod.ts";
 * const bootstrap = SigningIdentity.generate();
 * const trust = new BootstrapTrust({ trustedKeys: [bootstrap.publicKey] });
 * const nonce = trust.nonce();
 * const signed = new AnswerSigner(bootstrap).sign("cqkd_bootstrap_info", nonce, { tier: "super" });
 * console.assert("answer" in trust.open("cqkd_bootstrap_info", nonce, signed));
 * ```
 */
export class BootstrapTrust {
  readonly #trusted: Set<string>;
  readonly #authorityKey: Uint8Array | undefined;
  readonly #now: () => number;

  /** @throws {RangeError} when neither a trusted key nor an authority key is given, or a key is not 32 bytes */
  constructor(options: BootstrapTrustOptions) {
    const keys = [...(options.trustedKeys ?? []), ...(options.authorityKey ? [options.authorityKey] : [])];
    if (keys.length === 0) throw new RangeError("Cannot trust bootstrap nodes: no trusted key and no authority key");
    for (const key of keys) {
      if (key.length !== SIGNING_PUBLIC_KEY_BYTES) {
        throw new RangeError(`Cannot trust a public key of ${key.length} bytes: expected 32 (Ed25519)`);
      }
    }
    this.#trusted = new Set((options.trustedKeys ?? []).map(toHex));
    this.#authorityKey = options.authorityKey;
    this.#now = options.now ?? runtime.now;
  }

  /** A fresh nonce for one request. */
  nonce(): Uint8Array {
    return runtime.randomBytes(new Uint8Array(NONCE_BYTES));
  }

  /** Checks a signed answer to a request of `method` that carried `nonce`, and decodes it. Never throws. */
  open(method: string, nonce: Uint8Array, value: unknown): OpenedAnswer {
    if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
      return { problem: "the answer is not signed" };
    }
    const { body, key, signature, certificate } = value as Record<string, unknown>;
    if (!(body instanceof Uint8Array) || !(key instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
      return { problem: "the answer is not signed" };
    }
    if (key.length !== SIGNING_PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) {
      return { problem: "the answer's signature is malformed" };
    }
    const untrusted = this.#keyProblem(key, certificate);
    if (untrusted !== undefined) return { problem: `signed by key ${toHex(key).slice(0, 16)}…: ${untrusted}` };
    if (!verifySignature(key, answerSignedBytes(method, nonce, body), signature)) {
      return { problem: "the answer's signature does not verify (altered, or replayed from another request)" };
    }
    try {
      return { answer: decode(body), key };
    } catch {
      return { problem: "the signed answer is not msgpack" };
    }
  }

  #keyProblem(key: Uint8Array, certificate: unknown): string | undefined {
    if (this.#trusted.has(toHex(key))) return undefined;
    if (this.#authorityKey === undefined) return "not in the trust list";
    if (!(certificate instanceof Uint8Array)) return "not in the trust list and without a certificate";
    let parsed;
    try {
      parsed = parseBootstrapCertificate(certificate);
    } catch {
      return "its certificate is malformed";
    }
    if (!equalBytes(parsed.publicKey, key)) return "its certificate is for another key";
    return certificateProblem(parsed, this.#authorityKey, this.#now());
  }
}
