import pMap from "p-map";
import type { HealthRegistry } from "../health/mod.ts";
import { type Contact, ID_SPACE, type KademliaNode, NodeId } from "../kademlia/mod.ts";
import { queryCapabilities } from "./capabilities.ts";
import { type DiscoveredNode, NotEnoughNodesError } from "./discovered_node.ts";
import { DiscoveryCache, type DiscoveryCacheOptions } from "./discovery_cache.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode Discovery}. */
export interface DiscoveryOptions {
  cache?: DiscoveryCacheOptions;
  /** Role of the nodes discovered. @default {"worker"} */
  role?: string;
  /**
   * The health registry: cached nodes it holds as unhealthy are passed over, degraded ones come last. A node that
   * answers a capability query now is live, whatever the registry says (a busy host's checks can miss answers).
   */
  health?: HealthRegistry;
  /** The estimated network size, to spread the first lookups. @default the routing table's size */
  networkSize?: () => number;
  /** A cached node heard from within this long is live without a ping. @default {30000} */
  freshMs?: number;
  /** Time to wait for a capability answer or a verifying ping. @default {2000} */
  verifyTimeoutMs?: number;
  /** Lookups in flight at once. @default {8} */
  parallelLookups?: number;
  /** Capability queries and pings in flight at once (more would overflow the socket's receive buffer). @default {64} */
  parallelQueries?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Options of {@linkcode Discovery.discover}. */
export interface DiscoverOptions {
  /** Capabilities every node returned must advertise. @default {[]} */
  capabilities?: readonly string[];
  signal?: AbortSignal;
}

/** Rounds of region splitting before giving up: 2^8 times more regions than the first round. */
const MAX_ROUNDS = 8;

/**
 * Discovery: `discover(count, {capabilities})` returns `count` distinct live workers. From the cache when
 * it holds enough (each verified: heard from recently, or answering a ping now); otherwise from the routing
 * table's contacts known to be live (heard from within `freshMs`, not unhealthy), then from iterative lookups of
 * random targets spread over the id
 * space — one per region of about k nodes, splitting every region whose lookup came back full — until enough
 * workers answered their capability query (a contact silent to it is asked again once a lookup shows it alive).
 * Lookups and queries are tagged "discovery".
 *
 * @throws {NotEnoughNodesError} (from discover) saying how many were found
 */
export class Discovery {
  readonly cache: DiscoveryCache;
  readonly #node: KademliaNode;
  readonly #role: string;
  readonly #health: HealthRegistry | undefined;
  readonly #networkSize: () => number;
  readonly #freshMs: number;
  readonly #verifyTimeoutMs: number;
  readonly #parallelLookups: number;
  readonly #parallelQueries: number;
  readonly #now: () => number;

  constructor(node: KademliaNode, options: DiscoveryOptions = {}) {
    this.#node = node;
    this.#now = options.now ?? runtime.now;
    this.cache = new DiscoveryCache({ now: this.#now, ...options.cache });
    this.#role = options.role ?? "worker";
    this.#health = options.health;
    this.#networkSize = options.networkSize ?? (() => node.table.size + 1);
    this.#freshMs = options.freshMs ?? 30_000;
    this.#verifyTimeoutMs = options.verifyTimeoutMs ?? 2000;
    this.#parallelLookups = options.parallelLookups ?? 8;
    this.#parallelQueries = options.parallelQueries ?? 64;
  }

  /**
   * `discover_nodes(required_count, capabilities?)`: `count` distinct live workers advertising `capabilities`.
   * @throws {RangeError} when count is not a positive integer
   * @throws {NotEnoughNodesError} when fewer are found
   */
  async discover(count: number, options: DiscoverOptions = {}): Promise<DiscoveredNode[]> {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`Cannot discover ${count} nodes: expected a positive integer`);
    }
    const { capabilities = [], signal } = options;
    const accept = (n: DiscoveredNode) =>
      n.role === this.#role && capabilities.every((c) => n.capabilities.includes(c));
    const candidates = this.cache.select((n) => accept(n) && this.#health?.status(n.id) !== "unhealthy");
    const cached = await this.#verified(candidates, count, signal);
    this.cache.count(cached.length >= count);
    if (cached.length >= count) return this.#best(cached, count);

    const found = await collectUntil<DiscoveredNode>(count, signal, (add, search) => this.#search(accept, add, search));
    if (found.length < count) throw new NotEnoughNodesError(count, found.length, capabilities);
    return this.#best(found, count);
  }

  /**
   * The search behind a cache miss: the contacts heard from recently, then lookups of random targets region by
   * region, each contact asked its capabilities (once it answered, never again); `accepted` gets every node that
   * passes `accept`. Ends when `signal` aborts (by the caller, or because enough were found) or no region is left.
   */
  async #search(
    accept: (node: DiscoveredNode) => boolean,
    accepted: (node: DiscoveredNode) => void,
    signal: AbortSignal,
  ): Promise<void> {
    /** Capability queries sent to each contact; Infinity once it answered. */
    const tries = new Map<string, number>([[this.#node.id.hex, Infinity]]);
    /** Asks the contacts not asked yet; those that answered a lookup just now may be asked a second time. */
    const consider = (contacts: readonly Contact[], answeredNow: boolean) =>
      pMap(contacts, async (contact) => {
        const hex = contact.id.hex;
        const sent = tries.get(hex) ?? 0;
        if (sent >= (answeredNow ? 2 : 1)) return;
        tries.set(hex, sent + 1);
        const answer = await queryCapabilities(this.#node, contact, { timeoutMs: this.#verifyTimeoutMs, signal });
        // A second query to the same contact may have been answered first.
        if (answer === undefined || tries.get(hex) === Infinity) return;
        tries.set(hex, Infinity);
        const node = { ...contact, ...answer };
        this.cache.put(node);
        if (accept(node)) accepted(node);
      }, { concurrency: this.#parallelQueries });

    const recent = this.#now() - this.#freshMs;
    const table = this.#node.table;
    const live = table.contacts().filter((c) =>
      (table.lastSeenMs(c.id) ?? 0) > recent && this.#health?.status(c.id) !== "unhealthy"
    );
    await consider(live, false);
    // A first sweep only harvests contacts: its lookups wait for a silent contact only as long as answers take now
    // (twice the node's retransmission timeout, at least 50 ms), so that one dead contact does not cost a full
    // stall. Slow live nodes can be missed that way (a busy host): when the first sweep leaves too few, a second
    // one waits the node's full stall.
    const quickStallMs = Math.max(50, 2 * this.#node.transport.rtt.timeoutMs);
    for (const stallMs of [quickStallMs, undefined]) {
      let regions = initialRegions(Math.ceil(Math.log2(Math.max(1, this.#networkSize() / this.#node.table.k))));
      for (let round = 0; round < MAX_ROUNDS && regions.length > 0; round++) {
        const next: Array<[bigint, bigint]> = [];
        await pMap(regions, async ([lo, hi]) => {
          const target = NodeId.randomInRange(lo, hi);
          const closest = await this.#node.findNode(target, {
            signal,
            purpose: "discovery",
            ...(stallMs === undefined ? {} : { stallMs }),
          });
          await consider(closest, true);
          const inside = closest.filter((c) => lo <= c.id.value && c.id.value < hi).length;
          // A region whose lookup came back with k nodes inside it may hold more: look at each half.
          if (inside >= this.#node.table.k && hi - lo > 1n) next.push([lo, (lo + hi) / 2n], [(lo + hi) / 2n, hi]);
        }, { concurrency: this.#parallelLookups });
        regions = next;
      }
    }
  }

  /**
   * The candidates that are live: heard from recently, or answering a ping now (dead ones leave the cache). A
   * hit does not renew an entry: it lives a TTL after its capabilities were learned.
   */
  async #verified(candidates: DiscoveredNode[], count: number, signal?: AbortSignal): Promise<DiscoveredNode[]> {
    if (candidates.length < count) return [];
    const recent = this.#now() - this.#freshMs;
    return await collectUntil<DiscoveredNode>(
      count,
      signal,
      (add, verifying) =>
        pMap(candidates, async (candidate) => {
          if ((this.#node.table.lastSeenMs(candidate.id) ?? 0) <= recent) {
            try {
              await this.#node.request(candidate, "ping", [this.#node.id.bytes], {
                timeoutMs: this.#verifyTimeoutMs,
                purpose: "discovery",
                signal: verifying,
              });
            } catch (error) {
              if (verifying.aborted) throw error;
              this.cache.delete(candidate.id);
              return;
            }
          }
          add(candidate);
        }, { concurrency: this.#parallelQueries }),
    );
  }

  /** `count` nodes, healthy ones before degraded ones. */
  #best(nodes: DiscoveredNode[], count: number): DiscoveredNode[] {
    const degraded = (n: DiscoveredNode) => this.#health?.status(n.id) === "degraded" ? 1 : 0;
    return nodes.sort((a, b) => degraded(a) - degraded(b)).slice(0, count);
  }
}

/** The id space cut into 2^depth equal regions. */
function initialRegions(depth: number): Array<[bigint, bigint]> {
  const n = 1n << BigInt(Math.min(12, depth));
  const size = ID_SPACE / n;
  return Array.from({ length: Number(n) }, (_, i) => [BigInt(i) * size, BigInt(i + 1) * size]);
}

/**
 * Runs `collect` until it added `count` items — then its signal aborts, so that work still waiting (on dead
 * contacts, say) is cut short — or until it ends on its own with fewer.
 * @throws what `collect` throws before enough were added, or the caller's abort reason
 */
async function collectUntil<T>(
  count: number,
  signal: AbortSignal | undefined,
  collect: (add: (item: T) => void, signal: AbortSignal) => Promise<unknown>,
): Promise<T[]> {
  const items: T[] = [];
  const enough = new AbortController();
  const inner = signal === undefined ? enough.signal : AbortSignal.any([signal, enough.signal]);
  try {
    await collect((item) => {
      items.push(item);
      if (items.length >= count) enough.abort();
    }, inner);
  } catch (error) {
    if (!enough.signal.aborted) throw error;
  }
  signal?.throwIfAborted();
  return items;
}
