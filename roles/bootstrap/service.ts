import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { formatPeer, type Peer } from "../../core/net/mod.ts";
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
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
  /** Receives warnings (a failed heartbeat). */
  onWarning?: (message: string) => void;
}

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
 * using service = BootstrapService.attach(superNode, { tier: "super", name: "super-0" });
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
  /** Joiners this node pointed to itself since its last heartbeat who have not arrived yet. */
  #selfPromised = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

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
    this.#directory = new Directory({ selfId: node.id.hex, heartbeatMs, now });
    this.#leases = new Leases(leaseMs, now);
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
    });
    const infos = parseInfoList(answer);
    if (infos === undefined) throw new TypeError(`Unexpected announce answer from ${formatPeer(this.#parent)}`);
    this.#directory.heardFromParent(infos);
  }

  /** Stops the heartbeat; the RPCs stay registered, and the node is stopped by its owner. Idempotent. */
  stop(): void {
    this.#stopped = true;
    runtime.clearTimeout(this.#timer);
  }

  /** Same as {@linkcode BootstrapService.stop}. */
  [Symbol.dispose](): void {
    this.stop();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = runtime.setTimeout(() => {
      this.announceNow()
        .catch((error) => this.#warn(`Bootstrap heartbeat of ${this.name} failed: ${error.message}`))
        .finally(() => this.#schedule());
    }, this.#heartbeatMs);
  }

  #register(): void {
    const rpc = this.#node.rpc;
    rpc.register(BOOTSTRAP_RPC.info, (args) => this.#answer(BOOTSTRAP_RPC.info, parseInfoArgs(args), this.info()));
    rpc.register(BOOTSTRAP_RPC.announce, (args, from) => {
      const { info, subtree } = parseAnnounceArgs(args);
      // The announcer is reachable where its datagrams come from, whatever address it bound.
      this.#directory.heardFromChild({ ...info, host: from.host, port: from.port }, subtree);
      return fitList(this.#knownAlive(info.tier));
    });
    rpc.register(BOOTSTRAP_RPC.nodes, (args) => {
      const request = parseNodesArgs(args);
      return this.#answer(BOOTSTRAP_RPC.nodes, request, this.#handOut(request.role, request.count, true));
    });
    rpc.register(BOOTSTRAP_RPC.join, (args) => {
      const request = parseJoinArgs(args);
      return this.#answer(BOOTSTRAP_RPC.join, request, this.#join(request.joiner.hex, request.role));
    });
    rpc.register(BOOTSTRAP_RPC.leave, (args) => {
      this.#leases.release(parseLeaveArgs(args).joiner.hex);
      return true;
    });
  }

  /** The answer, signed when the request asked for it (with a nonce) and this node has a signer. */
  #answer(method: string, request: Nonced, answer: unknown): unknown {
    return request.nonce !== undefined && this.#signer !== undefined
      ? this.#signer.sign(method, request.nonce, answer)
      : answer;
  }

  #join(joiner: string, role: string): JoinAnswer {
    const accepted = (): JoinAnswer => ({ status: "accepted", info: this.info(), leaseMs: this.#leaseMs });
    if (this.#leases.has(joiner)) {
      this.#leases.grant(joiner);
      return accepted();
    }
    const home = homeTier(role);
    const hasRoom = this.capacity - this.load > 0;
    const homeElsewhere = this.tier !== home &&
      this.#directory.candidates().some((c) => c.alive && c.info.tier === home && spareCapacity(c) > 0);
    if (hasRoom && !homeElsewhere) {
      this.#leases.grant(joiner);
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
