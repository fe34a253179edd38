import type { NodeId } from "../kademlia/mod.ts";
import type { DiscoveredNode } from "./discovered_node.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode DiscoveryCache}. */
export interface DiscoveryCacheOptions {
  /** Lifetime of an entry after it was last verified. @default {120} */
  ttlS?: number;
  /** Most nodes kept; the least recently used go first. @default {2000} */
  maxEntries?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Hit and miss counts of discover calls. */
export interface CacheStats {
  entries: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses); 0 before any call. */
  hitRate: number;
}

/**
 * The discovery cache: nodes found with their role and capabilities, each living `ttlS` after it was last
 * verified, bounded in size with least-recently-used eviction, and counting the hits and misses of the discover
 * calls it served.
 */
export class DiscoveryCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { node: DiscoveredNode; verifiedMs: number }>();
  #hits = 0;
  #misses = 0;

  constructor(options: DiscoveryCacheOptions = {}) {
    this.#ttlMs = (options.ttlS ?? 120) * 1000;
    this.#maxEntries = options.maxEntries ?? 2000;
    this.#now = options.now ?? runtime.now;
  }

  /** Adds or renews a node, verified now. */
  put(node: DiscoveredNode): void {
    this.#entries.delete(node.id.hex);
    this.#entries.set(node.id.hex, { node, verifiedMs: this.#now() });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** The nodes not expired that satisfy `accept`, each marked as used; expired ones are dropped. */
  select(accept: (node: DiscoveredNode) => boolean): DiscoveredNode[] {
    const oldest = this.#now() - this.#ttlMs;
    const selected: DiscoveredNode[] = [];
    for (const [hex, entry] of [...this.#entries]) {
      if (entry.verifiedMs <= oldest) {
        this.#entries.delete(hex);
      } else if (accept(entry.node)) {
        this.#entries.delete(hex);
        this.#entries.set(hex, entry);
        selected.push(entry.node);
      }
    }
    return selected;
  }

  /** Drops a node (found dead). */
  delete(id: NodeId): void {
    this.#entries.delete(id.hex);
  }

  /** Counts a discover call served from the cache, or not. */
  count(hit: boolean): void {
    if (hit) this.#hits++;
    else this.#misses++;
  }

  get stats(): CacheStats {
    const calls = this.#hits + this.#misses;
    return {
      entries: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      hitRate: calls === 0 ? 0 : this.#hits / calls,
    };
  }
}
