import { type Contact, ID_SPACE, type NodeId, type RoutingTable } from "../kademlia/mod.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode NetworkSizeEstimator}. */
export interface NetworkSizeEstimatorOptions {
  /** Lookup samples kept (the newest). @default {16} */
  samples?: number;
  /** A lookup sample counts half as much as a fresh one after this long (a growing network outdates it). @default {60000} */
  halfLifeMs?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

const SPACE = Number(ID_SPACE);

/**
 * Estimates the number N of nodes in the network from the density of ids around a point. Ids are uniform, so
 * the m-th closest of n other nodes lies at a normalized XOR distance d with E[(m-1)/d] = n: one estimate per
 * finished node lookup (its closest contacts around a random target), weighted down as it ages, and one from the
 * routing table (the k contacts around our own id heard from directly, which our neighbours keep fresh). A lookup
 * that found fewer than k nodes saw them all.
 *
 * @example
 * ```ts
 * import { NetworkSizeEstimator } from "./network_size.ts";
 * import { NodeId } from "../kademlia/mod.ts";
 * const estimator = new NetworkSizeEstimator();
 * const target = NodeId.random();
 * estimator.addLookup(target, [{ id: NodeId.random(), host: "127.0.0.1", port: 1 }], 20);
 * console.assert(estimator.estimate() === 2); // fewer than k answered: the lookup saw every other node
 * ```
 */
export class NetworkSizeEstimator {
  readonly #limit: number;
  readonly #halfLifeMs: number;
  readonly #now: () => number;
  readonly #samples: Array<{ size: number; atMs: number }> = [];

  constructor(options: NetworkSizeEstimatorOptions = {}) {
    this.#limit = options.samples ?? 16;
    this.#halfLifeMs = options.halfLifeMs ?? 60_000;
    this.#now = options.now ?? runtime.now;
  }

  /** Adds the estimate given by a lookup of `target` that ran with bucket size `k` and found `closest`. */
  addLookup(target: NodeId, closest: readonly Contact[], k: number): void {
    if (closest.length === 0) return;
    // The lookup never returns the node running it: with fewer than k answers, the network is them plus us.
    const size = closest.length < k ? closest.length + 1 : densityEstimate(target, closest) + 1;
    this.#samples.push({ size, atMs: this.#now() });
    if (this.#samples.length > this.#limit) this.#samples.shift();
  }

  /**
   * The estimated number of nodes: the weighted mean of the lookup samples (weight 1/2 per half-life of age) and,
   * given a routing table, of the estimate from the k contacts closest to its own id (weight 1).
   */
  estimate(table?: RoutingTable): number {
    const now = this.#now();
    const weighted = this.#samples.map((s) => ({ size: s.size, weight: 0.5 ** ((now - s.atMs) / this.#halfLifeMs) }));
    if (table !== undefined && table.size > 0) {
      // Only contacts heard from: a peer can name any number of made-up ids around ours.
      const near = table.closest(table.self, table.k, undefined, (c) => table.heardFrom(c.id));
      const size = near.length < table.k ? near.length + 1 : densityEstimate(table.self, near) + 1;
      weighted.push({ size, weight: 1 });
    }
    const total = weighted.reduce((sum, s) => sum + s.weight, 0);
    if (total === 0) return 1;
    return Math.round(weighted.reduce((sum, s) => sum + s.size * s.weight, 0) / total);
  }
}

/** The unbiased estimate (m-1)/d of how many ids lie in the space, from the m ids closest to `target`. */
function densityEstimate(target: NodeId, closest: readonly Contact[]): number {
  const farthest = closest.reduce((max, c) => {
    const d = c.id.distanceTo(target);
    return d > max ? d : max;
  }, 0n);
  const d = Number(farthest) / SPACE;
  return d === 0 ? closest.length : (closest.length - 1) / d;
}
