import type { NodeId } from "../core/kademlia/mod.ts";
import type { SimCluster } from "./cluster.ts";
import { InvariantError } from "./scheduler.ts";

/** Live nodes holding the value under `key`. */
export function liveReplicas(cluster: SimCluster, key: NodeId): number {
  let held = 0;
  for (const n of cluster.nodes) if (n.alive && n.node.records.get(key) !== undefined) held++;
  return held;
}

/**
 * The invariants a run checks as it goes. Each `check*` schedules its check at a virtual time; the first that breaks
 * stops the run with an {@linkcode InvariantError} naming it, the seed and the virtual time.
 */
export class Invariants {
  readonly #cluster: SimCluster;
  readonly #replay: string;

  constructor(cluster: SimCluster, replay: string) {
    this.#cluster = cluster;
    this.#replay = replay;
  }

  #fail(name: string, detail: string): void {
    const { world } = this.#cluster;
    world.scheduler.fail(
      new InvariantError(
        `invariant "${name}" broken at virtual ${world.seconds.toFixed(3)} s (seed ${world.seed}): ${detail}; ` +
          `replay: ${this.#replay}`,
      ),
    );
  }

  /** At `atS`, every value has at least k live replicas (or every live node holds it, when fewer than k live). */
  replicas(atS: number, keys: () => NodeId[], k: number): void {
    this.#cluster.world.scheduler.at(atS * 1000, 0, () => {
      const want = Math.min(k, this.#cluster.liveCount);
      const short = keys().map((key) => ({ key, held: liveReplicas(this.#cluster, key) })).filter((r) => r.held < want);
      if (short.length > 0) {
        const worst = short.reduce((a, b) => (a.held <= b.held ? a : b));
        this.#fail(
          "k live replicas",
          `${short.length} value(s) with fewer than ${want} live replicas, the worst ${
            worst.key.hex.slice(0, 12)
          } with ${worst.held}`,
        );
      }
    });
  }

  /** At `atS`, no live node names a crashed node among its k closest contacts to `targets` random ids. */
  deadFree(atS: number, targets: number): void {
    const cluster = this.#cluster;
    cluster.world.scheduler.at(atS * 1000, 0, () => {
      const ids = Array.from({ length: targets }, () => cluster.randomId());
      const dead = new Set(cluster.nodes.filter((n) => !n.alive).map((n) => n.node.id.hex));
      for (const n of cluster.nodes) if (n.alive) dead.delete(n.node.id.hex);
      let dirty = 0;
      for (const n of cluster.nodes) {
        if (!n.alive) continue;
        if (ids.some((id) => n.node.table.closest(id, n.node.table.k).some((c) => dead.has(c.id.hex)))) dirty++;
      }
      if (dirty > 0) this.#fail("routing tables free of dead contacts", `${dirty} live node(s) still name dead ones`);
    });
  }

  /** At `atS`, a reach probe missed no live node. */
  reached(atS: number, unreached: () => string[], tried: () => number): void {
    this.#cluster.world.scheduler.at(atS * 1000, 0, () => {
      const missed = unreached();
      if (missed.length > 0) {
        this.#fail(
          "every live node reachable by lookup",
          `${missed.length} of ${tried()} lookup(s) missed a live node (${
            missed.slice(0, 3).map((h) => h.slice(0, 12)).join(", ")
          })`,
        );
      }
    });
  }
}
