/**
 * The secure datagram envelope: XChaCha20-Poly1305 under the cluster's primary key, replay protection, and proof
 * that the sender owns the node id it claims.
 *
 * ```
 * header (37 bytes, authenticated, clear): version | key id (4) | timestamp ms (8, big-endian) | message id (24)
 * sealed (the message id is the nonce):    flags (1) | [node certificate] | legacy frame | tag (16)
 * version: 0xE1 = to a peer whose id the sender does not know yet; 0xE2 = the receiver's node id is authenticated
 *          too (not sent): a copy delivered to another node does not open there
 * flags: bit 0 = a certificate follows, bit 1 = the sender has checked the receiver's certificate
 * ```
 *
 * The AEAD is libsodium's (WebAssembly, see ../crypto/aead.ts): a few µs per small datagram against ~13 µs through
 * node:crypto, whose per-call cost alone would exceed the 30 % join-time budget of secure mode. The 24-byte random
 * nonce is safe for a key that a whole cluster shares.
 *
 * Why the identity proof is a certificate and not a signature per datagram: Ed25519 costs ~25 µs to sign and
 * ~50 µs to verify here, more than everything else a datagram costs, and most RPCs of a join go to a peer never
 * met before. A node signs its public key together with its own address once, at start (see
 * node_certificate.ts); a receiver verifies a certificate once per process and ties the key's node id to the
 * address the datagram came from, which must be the certified one. The certificate travels only until the peer
 * says, by flag bit 1 in an authenticated datagram, that it has checked it; later datagrams from that address
 * carry the proven id. A peer that forgot us (restart, cache eviction) answers with bit 1 clear, or not at all
 * (our request times out), and our certificate travels again.
 */
import { equalBytes } from "../bytes.ts";
import type { SigningIdentity } from "../crypto/mod.ts";
import type { NodeId } from "../kademlia/node_id.ts";
import type { DatagramEnvelope, EnvelopeDropReason, OpenedDatagram, Peer } from "../net/mod.ts";
import type { ClusterKeyring } from "./keyring.ts";
import { NONCE_BYTES, open as openSealed, seal as sealParts, TAG_BYTES } from "../crypto/aead.ts";
import { GenerationalMap } from "../net/generational_map.ts";
import { certifiedHosts } from "./certified_hosts.ts";
import { certificateLength, issueCertificate, verifyCertificate } from "./node_certificate.ts";
import { ReplayGuard } from "./replay_guard.ts";
import { runtime } from "../runtime/mod.ts";

/** First byte of an envelope to a peer not met yet: any byte but 0x00/0x01, which legacy frames start with. */
export const ENVELOPE_VERSION = 0xe1;
/** First byte of an envelope whose additional data holds the receiver's node id. */
export const ADDRESSED_ENVELOPE_VERSION = 0xe2;
/** Clear header: version, key id, timestamp, message id. */
export const ENVELOPE_HEADER_BYTES = 1 + 4 + 8 + NONCE_BYTES;
const CERTIFIED = 1;
const KNOWS_YOU = 2;

/** Options of {@linkcode SecureEnvelope}. */
export interface SecureEnvelopeOptions {
  /** The cluster keys: the primary seals, every key opens. */
  keyring: ClusterKeyring;
  /** This node's signing identity; its node id is the one the node must use. */
  identity: SigningIdentity;
  /** Datagrams stamped longer ago than this are stale. @default {30} */
  replayWindowS?: number;
  /** Datagrams stamped further ahead of this node's clock than this are stale (clocks must agree this well). @default {2} */
  replayFutureSkewS?: number;
  /** Most message ids remembered for replay protection. @default {100000} */
  replayCacheSize?: number;
  /** Peers whose proven key is remembered; past it the oldest are forgotten (and must sign again). @default {65536} */
  peerCacheSize?: number;
  /**
   * The host this node tells others to reach it at: certified too when the node is bound to a wildcard address
   * and it is an IP address (behind NAT). @default none
   */
  advertisedHost?: string;
  /**
   * Legacy compatibility: accept plaintext frames from {@linkcode legacyPeers}, and answer and talk to them in
   * plaintext. @default {false}
   */
  acceptLegacy?: boolean;
  /**
   * The legacy nodes (IP addresses) that may speak plaintext in legacy compatibility mode; any other address must
   * seal, and so must one of these once it has spoken sealed (it is no legacy node). @default none
   */
  legacyPeers?: readonly Peer[];
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** What this node knows of one peer address. */
interface PeerState {
  /** The id the peer proved it owns, once it did. */
  id?: NodeId;
  /** The peer said it has checked our certificate: our datagrams to it need not carry it. */
  knowsUs: boolean;
}

/**
 * The {@linkcode DatagramEnvelope} of a secure node. One per node: it holds the node's identity, the replay cache
 * and what each peer has proven.
 *
 * @example Two envelopes of one cluster
 * ```ts
 * import { SigningIdentity } from "../crypto/mod.ts";
 * import { ClusterKeyring, SecureEnvelope } from "./mod.ts";
 * const keyring = ClusterKeyring.generate();
 * const alice = new SecureEnvelope({ keyring, identity: SigningIdentity.generate() });
 * const bob = new SecureEnvelope({ keyring, identity: SigningIdentity.generate() });
 * const [a, b] = [{ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port: 2 }];
 * const opened = bob.open(alice.seal(new Uint8Array([0, 1, 2]), b, a), a);
 * console.assert(typeof opened !== "string" && opened.frame[2] === 2);
 * console.assert(typeof opened !== "string" && opened.senderId![0] === alice.nodeId.bytes[0]);
 * ```
 */
export class SecureEnvelope implements DatagramEnvelope {
  #keyring: ClusterKeyring;
  readonly #identity: SigningIdentity;
  readonly #replay: ReplayGuard;
  readonly #peers: GenerationalMap<string, PeerState>;
  /** The configured legacy peers (host:port), in legacy compatibility mode; empty otherwise. */
  readonly #legacyPeers: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #advertisedHost: string | undefined;
  /** Our certificate, issued for the address we send from on first use. */
  #certificate: { address: string; bytes: Uint8Array } | undefined;

  constructor(options: SecureEnvelopeOptions) {
    this.#keyring = options.keyring;
    this.#identity = options.identity;
    this.#now = options.now ?? runtime.now;
    this.#replay = new ReplayGuard({
      windowS: options.replayWindowS,
      futureSkewS: options.replayFutureSkewS,
      maxEntries: options.replayCacheSize,
      now: this.#now,
    });
    this.#peers = new GenerationalMap(options.peerCacheSize ?? 65536);
    this.#legacyPeers = new Set(options.acceptLegacy ? (options.legacyPeers ?? []).map(peerKey) : []);
    this.#advertisedHost = options.advertisedHost;
  }

  /** The keys in force; replacing them (a new primary, a retired key) takes effect with the next datagram. */
  get keyring(): ClusterKeyring {
    return this.#keyring;
  }

  set keyring(keyring: ClusterKeyring) {
    this.#keyring = keyring;
  }

  /** What it holds, each bounded: message ids and per-sender floors of the replay guard, peers remembered. */
  get sizes(): { replayIds: number; replayFloors: number; peers: number } {
    return { replayIds: this.#replay.size, replayFloors: this.#replay.floors, peers: this.#peers.size };
  }

  /** The node id this envelope proves. */
  get nodeId(): NodeId {
    return this.#identity.nodeId;
  }

  seal(frame: Uint8Array, to: Peer, self: Peer): Uint8Array {
    const address = peerKey(to);
    const peer = this.#peers.get(address);
    if (peer?.id === undefined && this.#legacyPeers.has(address)) return frame;
    const header = HEADER;
    header[0] = peer?.id === undefined ? ENVELOPE_VERSION : ADDRESSED_ENVELOPE_VERSION;
    writeUint32(header, 1, this.#keyring.primaryWireId);
    const now = Math.floor(this.#now());
    writeUint32(header, 5, Math.floor(now / 2 ** 32));
    writeUint32(header, 9, now >>> 0);
    const certificate = peer?.knowsUs ? undefined : this.#certificateFor(self);
    FLAGS[0] = (certificate ? CERTIFIED : 0) | (peer?.id ? KNOWS_YOU : 0);
    const parts = certificate ? [FLAGS, certificate, frame] : [FLAGS, frame];
    return sealParts(header, parts, this.#keyring.primary.secret, peer?.id?.bytes);
  }

  open(datagram: Uint8Array, from: Peer): OpenedDatagram | EnvelopeDropReason {
    const first = datagram[0];
    if (first === 0x00 || first === 0x01) return this.#openPlain(datagram, from);
    const addressed = first === ADDRESSED_ENVELOPE_VERSION;
    if ((!addressed && first !== ENVELOPE_VERSION) || datagram.length < ENVELOPE_HEADER_BYTES + 1 + TAG_BYTES) {
      return "no-envelope";
    }
    const key = this.#keyring.secretOf(readUint32(datagram, 1));
    if (key === undefined) return "unknown-key";
    const inner = openSealed(datagram, ENVELOPE_HEADER_BYTES, key, addressed ? this.#identity.nodeId.bytes : undefined);
    if (inner === undefined) return "unauthentic";
    const flags = inner[0]!;
    const address = peerKey(from);
    let peer = this.#peers.get(address);
    let frameAt = 1;
    let provenId: NodeId | undefined;
    if (flags & CERTIFIED) {
      const length = certificateLength(inner.subarray(1));
      const certificate = length === undefined ? undefined : verifyCertificate(inner.subarray(1, 1 + length), from);
      if (certificate === undefined) return "forged-id";
      frameAt += length!;
      provenId = certificate.nodeId;
    } else if (peer?.id === undefined) {
      return "unproven";
    }
    const timestamp = readUint32(datagram, 5) * 2 ** 32 + readUint32(datagram, 9);
    // The nonce as a one-byte string: 24 characters, half the memory of hex in a cache of 100,000.
    const nonce = datagram.subarray(ENVELOPE_HEADER_BYTES - NONCE_BYTES, ENVELOPE_HEADER_BYTES);
    const messageId = String.fromCharCode.apply(null, nonce as unknown as number[]);
    const verdict = this.#replay.check(messageId, timestamp, address);
    if (verdict !== "fresh") return verdict;
    if (provenId !== undefined && !(peer?.id !== undefined && equalBytes(peer.id.bytes, provenId.bytes))) {
      peer = this.#remember(address, { id: provenId, knowsUs: false });
    }
    peer!.knowsUs = (flags & KNOWS_YOU) !== 0;
    return { frame: inner.subarray(frameAt), senderId: peer!.id!.bytes, plain: false };
  }

  vouches(peer: Peer, id: Uint8Array): boolean {
    const address = peerKey(peer);
    const state = this.#peers.get(address);
    if (state?.id !== undefined) return equalBytes(state.id.bytes, id);
    return this.#legacyPeers.has(address);
  }

  peerSilent(peer: Peer): void {
    const state = this.#peers.get(peerKey(peer));
    if (state !== undefined) state.knowsUs = false;
  }

  #openPlain(datagram: Uint8Array, from: Peer): OpenedDatagram | EnvelopeDropReason {
    const address = peerKey(from);
    // Plaintext is anyone's to forge: only a configured legacy peer may send it, and a peer that proved a key does
    // not fall back to it (that would be a downgrade).
    if (!this.#legacyPeers.has(address) || this.#peers.get(address)?.id !== undefined) return "no-envelope";
    return { frame: datagram, plain: true };
  }

  #certificateFor(self: Peer): Uint8Array {
    const address = peerKey(self);
    if (this.#certificate?.address !== address) {
      const hosts = certifiedHosts(self.host, this.#advertisedHost);
      this.#certificate = { address, bytes: issueCertificate(this.#identity, self.port, hosts) };
    }
    return this.#certificate.bytes;
  }

  #remember(address: string, state: PeerState): PeerState {
    this.#peers.set(address, state);
    return state;
  }
}

/** Scratch for the header and flags of the datagram being sealed (seal() copies them before returning). */
const HEADER = new Uint8Array(ENVELOPE_HEADER_BYTES);
const FLAGS = new Uint8Array(1);

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function peerKey(peer: Peer): string {
  return `${peer.host}:${peer.port}`;
}
