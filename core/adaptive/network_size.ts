import { type Contact, ID_SPACE, type NodeId, type RoutingTable } from "../kademlia/mod.ts";

/** Options of {@linkcode NetworkSizeEstimator}. */
export interface NetworkSizeEstimatorOptions {
  /** Lookup samples kept (the newest). @default {16} */
  samples?: number;
  /** Lookup samples older than this are dropped (a growing network outdates them). @default {300000} */
  maxAgeMs?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

const SPACE = Number(ID_SPACE);

/**
 * Estimates the number N of nodes in the network from the density of ids around a point. Ids are uniform, so
 * the m-th closest of n other nodes lies at a normalized XOR distance d with E[(m-1)/d] = n: one estimate per
 * finished lookup (its closest contacts around a random target) and one from the routing table (the contacts
 * around our own id, which our neighbours keep fresh). A lookup that found fewer than k nodes saw them all.
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
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #samples: Array<{ size: number; atMs: number }> = [];

  constructor(options: NetworkSizeEstimatorOptions = {}) {
    this.#limit = options.samples ?? 16;
    this.#maxAgeMs = options.maxAgeMs ?? 300_000;
    this.#now = options.now ?? Date.now;
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
   * The estimated number of nodes: the mean of the recent lookup samples and, given a routing table, of the
   * estimate from the k contacts closest to its own id (all of them when it knows fewer).
   */
  estimate(table?: RoutingTable): number {
    const oldest = this.#now() - this.#maxAgeMs;
    while (this.#samples.length > 0 && this.#samples[0]!.atMs < oldest) this.#samples.shift();
    const sizes = this.#samples.map((s) => s.size);
    if (table !== undefined && table.size > 0) {
      const near = table.closest(table.self, table.k);
      sizes.push(near.length < table.k ? near.length + 1 : densityEstimate(table.self, near) + 1);
    }
    if (sizes.length === 0) return 1;
    return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
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
