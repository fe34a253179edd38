/** Test support: a fake clock, a dead port, and a small bootstrap tree on 127.0.0.1. */
import { NodeHost } from "../../core/host.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import { type Attachment, joinNetwork } from "./join.ts";
import { BootstrapService } from "./service.ts";
import type { Tier } from "./tier.ts";

/** A clock that moves only when told to. */
export class FakeClock {
  #ms = 1_000_000;
  readonly now = (): number => this.#ms;
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** A port nobody listens on. */
export function deadPort(): number {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (conn.addr as Deno.NetAddr).port;
  conn.close();
  return port;
}

/** Heartbeat of the tree's services: long, so that only {@linkcode Tree.heartbeat} (on the fake clock) beats. */
export const TREE_HEARTBEAT_MS = 60_000;
/** Attempt timeout of the joins in tests. */
export const ATTEMPT_TIMEOUT_MS = 100;

/** A bootstrap node of the tree. */
export interface TreeNode {
  node: KademliaNode;
  service: BootstrapService;
  attachment?: Attachment;
}

/** Options of {@linkcode Tree.build}. */
export interface TreeOptions {
  supers?: number;
  regionalsPerSuper?: number;
  localsPerRegional?: number;
  localCapacity?: number;
}

/**
 * A bootstrap tree in one process (2 super → 4 regional → 8 local by default, locals of capacity 3), every node
 * joined through joinNetwork under its parent, the supers chained to the first; services run on a fake clock.
 */
export class Tree {
  readonly host = new NodeHost({ rpcTimeoutMs: 200, lookupStallMs: 50 });
  readonly clock = new FakeClock();
  readonly tiers: Record<Tier, TreeNode[]> = { super: [], regional: [], local: [] };
  readonly #workers: Attachment[] = [];

  static async build(options: TreeOptions = {}): Promise<Tree> {
    const { supers = 2, regionalsPerSuper = 2, localsPerRegional = 2, localCapacity = 3 } = options;
    const tree = new Tree();
    for (let i = 0; i < supers; i++) await tree.#add("super", i, tree.tiers.super[0]);
    for (let i = 0; i < supers * regionalsPerSuper; i++) {
      await tree.#add("regional", i, tree.tiers.super[Math.floor(i / regionalsPerSuper)]);
    }
    for (let i = 0; i < supers * regionalsPerSuper * localsPerRegional; i++) {
      await tree.#add("local", i, tree.tiers.regional[Math.floor(i / localsPerRegional)], localCapacity);
    }
    // News goes all the way up in one round but down one level per round: three levels below the first super.
    for (let round = 0; round < 3; round++) await tree.heartbeat(0);
    return tree;
  }

  /** The seeds of a joiner, in flow order: super, regional, local. */
  seeds(): Array<Peer & { tier: Tier }> {
    return (["super", "regional", "local"] as const).flatMap((tier) =>
      this.tiers[tier].map((b) => ({ ...b.node.address, tier }))
    );
  }

  /** Advances the clock and makes every running bootstrap announce, from the bottom up. */
  async heartbeat(advanceMs = TREE_HEARTBEAT_MS): Promise<void> {
    this.clock.advance(advanceMs);
    for (const tier of ["local", "regional", "super"] as const) {
      const running = this.tiers[tier].filter((b) => this.host.nodes().includes(b.node));
      await Promise.allSettled(running.map((b) => b.service.announceNow()));
    }
  }

  /** Joins a new worker (left again when the tree is disposed). */
  async worker(seeds: Array<Peer & { tier?: Tier }> = this.seeds(), fallback?: Peer[]): Promise<Attachment> {
    const node = this.host.start();
    const plan = { seeds, role: "worker", attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, ...(fallback ? { fallback } : {}) };
    const attachment = await joinNetwork(node, plan);
    this.#workers.push(attachment);
    return attachment;
  }

  /** Stops a whole tier. */
  async stopTier(tier: Tier): Promise<void> {
    await Promise.all(this.tiers[tier].map((b) => this.stop(b)));
  }

  /** Stops one bootstrap node: its heartbeat, its lease renewal and its socket. */
  async stop(b: TreeNode): Promise<void> {
    await b.service.stop();
    await this.host.stop(b.node);
    await b.attachment?.leave(); // fails at once on the closed socket, but ends the lease renewal
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const bootstraps = Object.values(this.tiers).flat();
    await Promise.all(bootstraps.map((b) => b.service.stop()));
    await Promise.all([...this.#workers, ...bootstraps.map((b) => b.attachment)].map((a) => a?.leave()));
    await this.host.stopAll();
  }

  async #add(tier: Tier, index: number, parent: TreeNode | undefined, capacity?: number): Promise<void> {
    const node = this.host.start({ role: `${tier}-bootstrap` });
    const service = BootstrapService.attach(node, {
      tier,
      name: `${tier}-${index}`,
      heartbeatMs: TREE_HEARTBEAT_MS,
      now: this.clock.now,
      // The whole tree runs on 127.0.0.1, one source address (and a fake clock): no per-source caps.
      limits: { leaseShare: 1, ratePerS: 1e6, burst: 1e6, directoryEntries: Infinity },
      ...(capacity === undefined ? {} : { capacity }),
      ...(parent === undefined ? {} : { parent: parent.node.address }),
    });
    const entry: TreeNode = { node, service };
    if (parent !== undefined) {
      const seeds = [{ ...parent.node.address, tier: parent.service.tier }];
      entry.attachment = await joinNetwork(node, {
        seeds,
        role: `${tier}-bootstrap`,
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      });
    }
    this.tiers[tier].push(entry);
  }
}
