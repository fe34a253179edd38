import { runtime } from "./runtime/mod.ts";

/** Options of {@linkcode TokenBuckets}. */
export interface TokenBucketsOptions {
  /** Requests per second each key earns back. */
  ratePerS: number;
  /** Requests a key may make at once (the bucket's size). */
  burst: number;
  /** Most keys tracked; past it, full buckets (idle clients) are forgotten first. @default {10_000} */
  maxKeys?: number;
  /** Clock in milliseconds. @default {performance.now} */
  nowMs?: () => number;
}

/** What {@linkcode TokenBuckets.take} answers. */
export type TakeResult = { ok: true } | { ok: false; retryAfterS: number };

/**
 * One token bucket per key (a client address, a token name): a request takes one token; tokens come back at
 * `ratePerS` up to `burst`. Refilled lazily on each take, so no timer runs and nothing needs stopping; the map is
 * bounded by `maxKeys` so that a flood of addresses cannot grow it without limit.
 *
 * @example
 * ```ts
 * import { TokenBuckets } from "./rate_limit.ts";
 * let now = 0;
 * const buckets = new TokenBuckets({ ratePerS: 1, burst: 2, nowMs: () => now });
 * console.assert(buckets.take("a").ok && buckets.take("a").ok && !buckets.take("a").ok);
 * now += 1000;
 * console.assert(buckets.take("a").ok);
 * ```
 */
export class TokenBuckets {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  /** @throws {RangeError} when the rate or the burst is not positive */
  constructor(options: TokenBucketsOptions) {
    if (!(options.ratePerS > 0)) throw new RangeError(`Invalid rate ${options.ratePerS}: expected requests/s > 0`);
    if (!(options.burst >= 1)) throw new RangeError(`Invalid burst ${options.burst}: expected at least 1`);
    this.#ratePerMs = options.ratePerS / 1000;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.nowMs ?? (() => runtime.monotonic());
  }

  /** Takes one token from `key`'s bucket, or says how many seconds until one is back. */
  take(key: string): TakeResult {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? this.#add(key, now);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.atMs) * this.#ratePerMs);
    bucket.atMs = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / this.#ratePerMs / 1000)) };
  }

  /** How many keys are tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #add(key: string, now: number) {
    if (this.#buckets.size >= this.#maxKeys) this.#prune(now);
    const bucket = { tokens: this.#burst, atMs: now };
    this.#buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets the buckets that have refilled (their clients went quiet); if none has, the oldest key. */
  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.atMs) * this.#ratePerMs >= this.#burst) this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
  }
}
