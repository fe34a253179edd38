import { runtime } from "../runtime/mod.ts";
/** Options of {@linkcode ReplayGuard}. */
export interface ReplayGuardOptions {
  /** Datagrams stamped further than this from now (either way) are stale. @default {30} */
  windowS?: number;
  /** Most message ids remembered; past it the oldest are forgotten and the window shrinks to match. @default {100000} */
  maxEntries?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** What {@linkcode ReplayGuard.check} says of a datagram. */
export type ReplayVerdict = "fresh" | "stale" | "replayed";

/**
 * Replay protection for authenticated datagrams: a timestamp window plus the message ids seen within it. Memory is
 * bounded: ids are kept in two generations of up to half of `maxEntries` each; when the young one is full the old
 * one is forgotten, and everything stamped at or before the newest timestamp it held becomes stale, so a forgotten
 * id can never be replayed.
 *
 * @example
 * ```ts
 * import { ReplayGuard } from "./replay_guard.ts";
 * const guard = new ReplayGuard({ windowS: 30 });
 * const now = Date.now();
 * console.assert(guard.check("id-1", now) === "fresh");
 * console.assert(guard.check("id-1", now) === "replayed");
 * console.assert(guard.check("id-2", now - 60_000) === "stale");
 * ```
 */
export class ReplayGuard {
  readonly #windowMs: number;
  readonly #generationSize: number;
  readonly #now: () => number;
  #young = new Set<string>();
  #youngNewestMs = -Infinity;
  #old = new Set<string>();
  #oldNewestMs = -Infinity;
  /** Timestamps at or before this are stale: the newest timestamp of a forgotten generation. */
  #floorMs = -Infinity;

  constructor(options: ReplayGuardOptions = {}) {
    const { windowS = 30, maxEntries = 100_000 } = options;
    if (!(windowS > 0)) throw new RangeError(`Cannot guard against replays: window must be > 0 s, got ${windowS}`);
    if (!(maxEntries >= 2)) throw new RangeError(`Cannot guard against replays: maxEntries must be >= 2`);
    this.#windowMs = windowS * 1000;
    this.#generationSize = Math.floor(maxEntries / 2);
    this.#now = options.now ?? runtime.now;
  }

  /** Message ids remembered. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Checks a datagram stamped `timestampMs` with message id `id`, and remembers the id when it is fresh. */
  check(id: string, timestampMs: number): ReplayVerdict {
    const now = this.#now();
    if (Math.abs(now - timestampMs) > this.#windowMs || timestampMs <= this.#floorMs) return "stale";
    if (this.#young.has(id) || this.#old.has(id)) return "replayed";
    // A generation whose every id has left the window holds nothing worth keeping.
    if (this.#old.size > 0 && this.#oldNewestMs < now - this.#windowMs) this.#old = new Set();
    if (this.#young.size >= this.#generationSize) {
      if (this.#old.size > 0) this.#floorMs = Math.max(this.#floorMs, this.#oldNewestMs);
      [this.#old, this.#oldNewestMs] = [this.#young, this.#youngNewestMs];
      [this.#young, this.#youngNewestMs] = [new Set(), -Infinity];
    }
    this.#young.add(id);
    this.#youngNewestMs = Math.max(this.#youngNewestMs, timestampMs);
    return "fresh";
  }
}
