import { runtime } from "../runtime/mod.ts";
/** Options of {@linkcode ReplayGuard}. */
export interface ReplayGuardOptions {
  /** Datagrams stamped longer ago than this are stale. @default {30} */
  windowS?: number;
  /** Datagrams stamped further ahead of this node's clock than this are stale. @default {2} */
  futureSkewS?: number;
  /** Most message ids remembered; past it the oldest are forgotten and the window shrinks to match. @default {100000} */
  maxEntries?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** What {@linkcode ReplayGuard.check} says of a datagram. */
export type ReplayVerdict = "fresh" | "stale" | "replayed";

/** One generation of remembered message ids, and the newest timestamp of each sender in it. */
class Generation {
  readonly ids = new Set<string>();
  readonly newestBySender = new Map<string, number>();

  add(id: string, sender: string, timestampMs: number): void {
    this.ids.add(id);
    const newest = this.newestBySender.get(sender);
    if (newest === undefined || timestampMs > newest) this.newestBySender.set(sender, timestampMs);
  }
}

/**
 * Replay protection for authenticated datagrams: a timestamp window plus the message ids seen within it. Memory is
 * bounded: ids are kept in two generations of up to half of `maxEntries` each; when the young one is full the old
 * one is forgotten, and for each sender in it everything that sender stamped at or before its newest forgotten
 * timestamp becomes stale, so a forgotten id can never be replayed. The cut-off is per sender: one sender's
 * clock (fast, or lying within the small future skew) never makes another's datagrams stale.
 *
 * @example
 * ```ts
 * import { ReplayGuard } from "./replay_guard.ts";
 * const guard = new ReplayGuard({ windowS: 30 });
 * const now = Date.now();
 * console.assert(guard.check("id-1", now, "10.0.0.1:4000") === "fresh");
 * console.assert(guard.check("id-1", now, "10.0.0.1:4000") === "replayed");
 * console.assert(guard.check("id-2", now - 60_000, "10.0.0.1:4000") === "stale");
 * console.assert(guard.check("id-3", now + 10_000, "10.0.0.1:4000") === "stale");
 * ```
 */
export class ReplayGuard {
  readonly #windowMs: number;
  readonly #futureMs: number;
  readonly #generationSize: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  #young = new Generation();
  #old = new Generation();
  /** Newest timestamp of the old generation: once out of the window, the whole generation is. */
  #oldNewestMs = -Infinity;
  #youngNewestMs = -Infinity;
  /** Per sender, timestamps at or before this are stale: its newest timestamp in a forgotten generation. */
  #floors = new Map<string, number>();
  /** Timestamps at or before this are stale for every sender: per-sender floors folded when too many to keep. */
  #floorMs = -Infinity;

  constructor(options: ReplayGuardOptions = {}) {
    const { windowS = 30, futureSkewS = 2, maxEntries = 100_000 } = options;
    if (!(windowS > 0)) throw new RangeError(`Cannot guard against replays: window must be > 0 s, got ${windowS}`);
    if (!(futureSkewS >= 0)) throw new RangeError(`Cannot guard against replays: future skew must be >= 0 s`);
    if (!(maxEntries >= 2)) throw new RangeError(`Cannot guard against replays: maxEntries must be >= 2`);
    this.#windowMs = windowS * 1000;
    this.#futureMs = futureSkewS * 1000;
    this.#generationSize = Math.floor(maxEntries / 2);
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? runtime.now;
  }

  /** Message ids remembered. */
  get size(): number {
    return this.#young.ids.size + this.#old.ids.size;
  }

  /** Senders with a floor of their own (bounded by `maxEntries`, then folded into one). */
  get floors(): number {
    return this.#floors.size;
  }

  /**
   * Checks a datagram stamped `timestampMs` with message id `id` from `sender` (its address), and remembers the id
   * when it is fresh.
   */
  check(id: string, timestampMs: number, sender: string): ReplayVerdict {
    const now = this.#now();
    if (timestampMs < now - this.#windowMs || timestampMs > now + this.#futureMs) return "stale";
    if (timestampMs <= this.#floorMs || timestampMs <= (this.#floors.get(sender) ?? -Infinity)) return "stale";
    if (this.#young.ids.has(id) || this.#old.ids.has(id)) return "replayed";
    // A generation whose every id has left the window holds nothing worth keeping.
    if (this.#old.ids.size > 0 && this.#oldNewestMs < now - this.#windowMs) this.#old = new Generation();
    if (this.#young.ids.size >= this.#generationSize) this.#rotate(now);
    this.#young.add(id, sender, timestampMs);
    this.#youngNewestMs = Math.max(this.#youngNewestMs, timestampMs);
    return "fresh";
  }

  /** Forgets the old generation (raising its senders' floors) and starts a new young one. */
  #rotate(now: number): void {
    for (const [sender, newest] of this.#old.newestBySender) {
      if (newest > (this.#floors.get(sender) ?? -Infinity)) this.#floors.set(sender, newest);
    }
    // Floors out of the window say nothing the window does not; past the bound, they fold into one.
    for (const [sender, floor] of this.#floors) if (floor < now - this.#windowMs) this.#floors.delete(sender);
    if (this.#floors.size > this.#maxEntries) {
      for (const floor of this.#floors.values()) this.#floorMs = Math.max(this.#floorMs, floor);
      this.#floors = new Map();
    }
    [this.#old, this.#oldNewestMs] = [this.#young, this.#youngNewestMs];
    [this.#young, this.#youngNewestMs] = [new Generation(), -Infinity];
  }
}
