/**
 * Whom Alice and Bob run sessions with: identities pinned one by one (`trusted_peers`), or any identity holding a
 * role certificate from a trusted authority (`keygen_authority_key`). With neither, nobody is trusted.
 */
import { toHex } from "../../core/bytes.ts";
import type { KeygenRole } from "./role_certificate.ts";
import { roleCertificateProblem } from "./role_certificate.ts";
import type { SealedPeer } from "./sealed_messenger.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Options of {@linkcode PeerTrust}. */
export interface PeerTrustOptions {
  /** Raw Ed25519 identity keys trusted for either role. */
  trustedPeers?: readonly Uint8Array[];
  /** The authority whose role certificates count. */
  authorityKey?: Uint8Array;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/**
 * A trust policy for the peer of a key exchange.
 *
 * @example
 * ```ts
 * import { SigningIdentity } from "../../core/crypto/mod.ts";
 * import { PeerTrust } from "./peer_trust.ts";
 * const bob = SigningIdentity.generate();
 * const trust = new PeerTrust({ trustedPeers: [bob.publicKey] });
 * const peer = { host: "127.0.0.1", port: 1, key: new Uint8Array(32), identity: bob.publicKey };
 * console.assert(trust.problem(peer, "bob") === undefined);
 * ```
 */
export class PeerTrust {
  readonly #pinned = new Set<string>();
  readonly #authorityKey: Uint8Array | undefined;
  readonly #now: () => number;

  constructor(options: PeerTrustOptions = {}) {
    for (const key of options.trustedPeers ?? []) this.pin(key);
    this.#authorityKey = options.authorityKey;
    this.#now = options.now ?? runtime.now;
  }

  /** Trusts one more identity (a host process pins the Alice and Bob it runs itself). */
  pin(identity: Uint8Array): void {
    if (identity.length !== 32) throw new RangeError(`Cannot pin a key of ${identity.length} bytes: expected 32`);
    this.#pinned.add(toHex(identity));
  }

  /** Why `peer` may not act as `role` here; undefined when it may. */
  problem(peer: SealedPeer, role: KeygenRole): string | undefined {
    if (this.#pinned.has(toHex(peer.identity))) return undefined;
    const who = `${role} ${toHex(peer.identity).slice(0, 16)}… at ${peer.host}:${peer.port}`;
    if (this.#authorityKey === undefined) return `${who} is not a trusted peer (not in trusted_peers)`;
    if (peer.certificate === undefined) return `${who} is not pinned and presents no role certificate`;
    const problem = roleCertificateProblem(peer.certificate, this.#authorityKey, peer.identity, role, this.#now());
    return problem === undefined ? undefined : `${who} is not trusted: ${problem}`;
  }
}
