import { type KademliaNode, NodeId } from "../../core/kademlia/mod.ts";
import { BlockedPeerError, ForgedIdentityError, formatPeer, type Peer, type Sender } from "../../core/net/mod.ts";
import { TokenBuckets } from "../../core/rate_limit.ts";
import { Leases } from "./_leases.ts";
import type { AnswerSigner } from "./answer_signer.ts";
import { Directory, type DirectoryEntry } from "./directory.ts";
import { type BootstrapInfo, parseInfoList } from "./info.ts";
import { type Candidate, rankCandidates, spareCapacity } from "./load_balancer.ts";
import {
  BOOTSTRAP_RPC,
  fitList,
  type JoinAnswer,
  type Nonced,
  parseAnnounceArgs,
  parseInfoArgs,
  parseJoinArgs,
  parseLeaveArgs,
  parseNodesArgs,
} from "./protocol.ts";
import { DEFAULT_CAPACITY, homeTier, isTier, type Tier } from "./tier.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Options of {@linkcode BootstrapService.attach}. */
export interface BootstrapServiceOptions {
  /** The tier this node serves. */
  tier: Tier;
  /** Region label. @default {""} */
  region?: string;
  /** Human name. @default `${tier}-` and the first 8 hex digits of the node id */
  name?: string;
  /** Joiners admitted at once. @default {DEFAULT_CAPACITY[tier]} (500 / 250 / 50) */
  capacity?: number;
  /** The bootstrap above, announced to every heartbeat; a super may name another super to share directories. */
  parent?: Peer;
  /** Time between announces; an entry silent for 3 heartbeats is dead. @default {5000} */
  heartbeatMs?: number;
  /** How long an admission lasts unless renewed. @default {600000} */
  leaseMs?: number;
  /**
   * Signs the answers to requests that carry a nonce (joiners with a trust policy send one). @default none: such
   * joiners skip this node
   */
  signer?: AnswerSigner;
  /** Per-source caps and rate limits (a source is a sender's address host). @default {DEFAULT_SOURCE_LIMITS} */
  limits?: Partial<SourceLimits>;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Receives warnings (a failed heartbeat). */
  onWarning?: (message: string) => void;
}

/** What one sender address host may take of a bootstrap node. */
export interface SourceLimits {
  /** Bootstrap requests per second it earns back. */
  ratePerS: number;
  /** Bootstrap requests it may send at once. */
  burst: number;
  /** Joiner slots it may hold, as a share of the capacity (at least one slot). */
  leaseShare: number;
  /** Directory entries its announces may bring (the announcer and its subtree). */
  directoryEntries: number;
  /** Directory entries in all. */
  directorySize: number;
}

/**
 * The limits in force unless told otherwise: generous for a host running a few nodes, far below what one host
 * would need to fill a node (a quarter of the capacity, 64 of 1024 directory entries).
 */
export const DEFAULT_SOURCE_LIMITS: Readonly<SourceLimits> = {
  ratePerS: 50,
  burst: 200,
  leaseShare: 0.25,
  directoryEntries: 64,
  directorySize: 1024,
};

/** Why a bootstrap node refused a request or part of it. */
export type BootstrapRefusal = "rate-limited" | "unproven" | "source-full" | "not-holder";

/** Entries a redirect or a "full" answer offers. */
const ALTERNATIVES = 8;

/**
 * Makes a {@linkcode KademliaNode} a bootstrap node of one tier: it answers the cqkd_bootstrap_* RPCs (tier info,
 * announces from the subtree, the load balancer, joins and leaves), admits joiners up to its capacity with leases,
 * and announces itself and its subtree to its parent every heartbeat.
 *
 * @example A super bootstrap admits a worker when no local bootstrap is known
 * ```ts
 * import assert from "node:assert/strict";
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { BootstrapService, joinNetwork } from "./mod.ts";
 * await using superNode = KademliaNode.start({ role: "super-bootstrap" });
 * await using service = BootstrapService.attach(superNode, { tier: "super", name: "super-0" });
 * await using worker = KademliaNode.start();
 * const attachment = await joinNetwork(worker, { seeds: [superNode.address], role: "worker" });
 * assert.deepEqual(attachment.attachedTo, service.info());
 * assert.equal(service.load, 1);
 * await attachment.leave();
 * assert.equal(service.load, 0);
 * ```
 */
export class BootstrapService {
  readonly tier: Tier;
  readonly region: string;
  readonly name: string;
  readonly capacity: number;
  readonly #node: KademliaNode;
  readonly #parent: Peer | undefined;
  readonly #heartbeatMs: number;
  readonly #leaseMs: number;
  readonly #warn: (message: string) => void;
  readonly #signer: AnswerSigner | undefined;
  readonly #directory: Directory;
  readonly #leases: Leases;
  readonly #buckets: TokenBuckets;
  readonly #refusals: Record<BootstrapRefusal, number> = {
    "rate-limited": 0,
    unproven: 0,
    "source-full": 0,
    "not-holder": 0,
  };
  /** Joiners this node pointed to itself since its last heartbeat who have not arrived yet. */
  #selfPromised = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Aborts the heartbeat's request in flight when the service stops. */
  readonly #abort = new AbortController();
  /** The heartbeat in flight, awaited by stop(). */
  #beat: Promise<void> | undefined;

  private constructor(node: KademliaNode, options: BootstrapServiceOptions) {
    const { tier, heartbeatMs = 5000, leaseMs = 600_000 } = options;
    if (!isTier(tier)) throw new RangeError(`Cannot serve tier "${tier}": expected super, regional or local`);
    const capacity = options.capacity ?? DEFAULT_CAPACITY[tier];
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`Cannot serve with capacity ${capacity}: expected an integer from 0`);
    }
    if (!(heartbeatMs > 0) || !(leaseMs > 0)) {
      throw new RangeError(`Cannot serve with heartbeat ${heartbeatMs} ms and lease ${leaseMs} ms: both must be > 0`);
    }
    const now = options.now ?? runtime.now;
    this.#node = node;
    this.tier = tier;
    this.region = options.region ?? "";
    this.name = options.name ?? `${tier}-${node.id.hex.slice(0, 8)}`;
    this.capacity = capacity;
    this.#parent = options.parent;
    this.#heartbeatMs = heartbeatMs;
    this.#leaseMs = leaseMs;
    this.#warn = options.onWarning ?? (() => {});
    this.#signer = options.signer;
    const limits = { ...DEFAULT_SOURCE_LIMITS, ...options.limits };
    this.#directory = new Directory({
      selfId: node.id.hex,
      heartbeatMs,
      now,
      maxEntries: limits.directorySize,
      maxPerSource: limits.directoryEntries,
    });
    this.#leases = new Leases(leaseMs, now, Math.max(1, Math.ceil(capacity * limits.leaseShare)));
    this.#buckets = new TokenBuckets({ ratePerS: limits.ratePerS, burst: limits.burst, nowMs: now });
  }

  /**
   * Registers the bootstrap RPCs on `node` and starts the heartbeat. The node stays owned by the caller.
   * @throws {RangeError} for a bad tier, capacity or interval
   * @throws {Error} when a bootstrap service is already attached to the node
   */
  static attach(node: KademliaNode, options: BootstrapServiceOptions): BootstrapService {
    const service = new BootstrapService(node, options);
    service.#register();
    service.#schedule();
    return service;
  }

  /** This node's self-description, current load included. */
  info(): BootstrapInfo {
    // The advertised address: a node bound to 0.0.0.0 in a container is reached at its container address.
    const { host, port } = this.#node.advertisedAddress;
    const { tier, region, name, capacity, load } = this;
    return { tier, region, name, id: this.#node.id.hex, host, port, load, capacity };
  }

  /** Joiners holding a slot now (expired leases are freed first). */
  get load(): number {
    return this.#leases.size;
  }

  /** Ids (hex) of the joiners holding a slot now. */
  joiners(): string[] {
    return this.#leases.holders();
  }

  /** Requests (or announced entries) refused so far, by reason. */
  get refusals(): Readonly<Record<BootstrapRefusal | "directory-full", number>> {
    return { ...this.#refusals, "directory-full": this.#directory.refused };
  }

  /** The other bootstrap nodes this one knows: its subtree and what its parent answered, dead ones included. */
  directory(): DirectoryEntry[] {
    return this.#directory.entries();
  }

  /**
   * The load balancer: the bootstrap nodes (this one included) a joiner of `role` should use, best first; never a
   * full or dead node.
   * @throws {RangeError} for an unknown role
   */
  ranked(role: string, count?: number): BootstrapInfo[] {
    return rankCandidates(this.#candidates(true), homeTier(role), count);
  }

  /**
   * One heartbeat now: frees expired leases, forgets long-dead entries, and announces this node and its subtree
   * to the parent, learning the parent's directory from the answer.
   * @throws {RpcTimeoutError} when the parent does not answer
   */
  async announceNow(): Promise<void> {
    this.#leases.expire();
    this.#directory.prune();
    this.#selfPromised = 0;
    if (this.#parent === undefined) return;
    const subtree = fitList(this.#directory.subtree());
    const answer = await this.#node.transport.request(this.#parent, BOOTSTRAP_RPC.announce, [this.info(), subtree], {
      timeoutMs: this.#node.rpcTimeoutMs,
      signal: this.#abort.signal,
    });
    const infos = parseInfoList(answer);
    if (infos === undefined) throw new TypeError(`Unexpected announce answer from ${formatPeer(this.#parent)}`);
    this.#directory.heardFromParent(infos);
  }

  /**
   * Stops the heartbeat, aborts its announcement in flight and waits for it; the RPCs stay registered, and the node
   * is stopped by its owner. Idempotent.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    runtime.clearTimeout(this.#timer);
    this.#abort.abort(new Error(`Bootstrap service ${this.name} stopped`));
    await this.#beat;
  }

  /** Same as {@linkcode BootstrapService.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = runtime.setTimeout(() => {
      this.#beat = this.announceNow()
        .catch((error) => {
          if (!this.#stopped) this.#warn(`Bootstrap heartbeat of ${this.name} failed: ${error.message}`);
        })
        .finally(() => this.#schedule());
    }, this.#heartbeatMs);
  }

  /**
   * Every handler costs O(1) in the directory's and the leases' sizes but for the ranked lists, which are bounded by
   * the directory's bound; each sender host is rate-limited first.
   */
  #register(): void {
    const rpc = this.#node.rpc;
    const handle = (method: string, handler: (args: unknown[], from: Sender) => unknown) =>
      rpc.register(method, (args, from) => {
        if (!this.#buckets.take(from.host).ok) {
          this.#refusals["rate-limited"]++;
          throw new BlockedPeerError(from, "(rate-limited bootstrap requests)");
        }
        return handler(args, from);
      });
    handle(BOOTSTRAP_RPC.info, (args) => this.#answer(BOOTSTRAP_RPC.info, parseInfoArgs(args), this.info()));
    handle(BOOTSTRAP_RPC.announce, (args, from) => {
      const { info, subtree } = parseAnnounceArgs(args);
      this.#checkProven(from, info.id);
      // The announcer is reachable where its datagrams come from, whatever address it bound.
      this.#directory.heardFromChild({ ...info, host: from.host, port: from.port }, subtree, from.host);
      return fitList(this.#knownAlive(info.tier));
    });
    handle(BOOTSTRAP_RPC.nodes, (args) => {
      const request = parseNodesArgs(args);
      return this.#answer(BOOTSTRAP_RPC.nodes, request, this.#handOut(request.role, request.count, true));
    });
    handle(BOOTSTRAP_RPC.join, (args, from) => {
      const request = parseJoinArgs(args);
      this.#checkProven(from, request.joiner.hex);
      return this.#answer(BOOTSTRAP_RPC.join, request, this.#join(request.joiner.hex, request.role, from));
    });
    handle(BOOTSTRAP_RPC.leave, (args, from) => {
      const { joiner } = parseLeaveArgs(args);
      this.#checkProven(from, joiner.hex);
      if (this.#leases.has(joiner.hex) && !this.#leases.release(joiner.hex, from)) this.#refusals["not-holder"]++;
      return true;
    });
  }

  /**
   * In secure mode a node announces, joins and leaves only as the id it proved (its datagrams are signed by that
   * id's key): nobody fills the directory or the leases with ids it does not own, nor frees another's slot.
   * @throws {ForgedIdentityError} (the request is dropped)
   */
  #checkProven(from: Sender, idHex: string): void {
    if (!this.#node.transport.secure) return;
    if (from.provenId !== undefined && NodeId.fromBytes(from.provenId).hex === idHex) return;
    this.#refusals.unproven++;
    throw new ForgedIdentityError(from, idHex);
  }

  /** The answer, signed when the request asked for it (with a nonce) and this node has a signer. */
  #answer(method: string, request: Nonced, answer: unknown): unknown {
    return request.nonce !== undefined && this.#signer !== undefined
      ? this.#signer.sign(method, request.nonce, answer)
      : answer;
  }

  #join(joiner: string, role: string, from: Peer): JoinAnswer {
    const accepted = (): JoinAnswer => ({ status: "accepted", info: this.info(), leaseMs: this.#leaseMs });
    const refused = (why: BootstrapRefusal): JoinAnswer => {
      this.#refusals[why]++;
      return { status: "full", to: this.#handOut(role, ALTERNATIVES, false) };
    };
    if (this.#leases.has(joiner)) {
      // Only the address that holds the slot renews it (in plain mode anyone can claim an id).
      return this.#leases.grant(joiner, from) === "renewed" ? accepted() : refused("not-holder");
    }
    const home = homeTier(role);
    const hasRoom = this.capacity - this.load > 0;
    const homeElsewhere = this.tier !== home &&
      this.#directory.candidates().some((c) => c.alive && c.info.tier === home && spareCapacity(c) > 0);
    if (hasRoom && !homeElsewhere) {
      if (this.#leases.grant(joiner, from) !== "granted") return refused("source-full");
      this.#selfPromised = Math.max(0, this.#selfPromised - 1);
      return accepted();
    }
    return { status: hasRoom ? "redirect" : "full", to: this.#handOut(role, ALTERNATIVES, false) };
  }

  /**
   * The ranked list handed to a joiner (fitted to a datagram). Its head is where the joiner goes next, so it counts
   * as promised there until that node reports its load again: simultaneous joiners spread out.
   */
  #handOut(role: string, count: number, includeSelf: boolean): BootstrapInfo[] {
    const list = fitList(rankCandidates(this.#candidates(includeSelf), homeTier(role), count));
    const head = list[0];
    if (head?.id === this.#node.id.hex) this.#selfPromised++;
    else if (head !== undefined) this.#directory.promise(head.id);
    return list;
  }

  /** Every live entry, this node included: ranked for a node of `tier` first, then the full ones. */
  #knownAlive(tier: Tier): BootstrapInfo[] {
    const candidates = this.#candidates(true).filter((c) => c.alive);
    const ranked = rankCandidates(candidates, tier);
    const listed = new Set(ranked.map((info) => info.id));
    return [...ranked, ...candidates.filter((c) => !listed.has(c.info.id)).map((c) => c.info)];
  }

  #candidates(includeSelf: boolean): Candidate[] {
    const others = this.#directory.candidates();
    return includeSelf ? [{ info: this.info(), alive: true, promised: this.#selfPromised }, ...others] : others;
  }
}
