/**
 * Continuous key generation for one SAE pair: when the pool (this side's key store) falls below its low watermark,
 * sessions run back to back, several at once, until it reaches the high watermark. What runs a session is a
 * {@linkcode KeyProducer}: the key exchange, which puts each agreed key into both sides' stores.
 */
import type { KeyStore } from "../keystore/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** What one session reports, when the producer knows it. */
export interface ProductionReport {
  /** Secret key bits put into the stores. */
  bits: number;
  /** The session's QBER estimate. */
  qber?: number;
}

/** Makes `bits` bits of key (in keys of the pair's size) and puts them into both sides' stores. */
export interface KeyProducer {
  /** Rejects when the session aborts (QBER, confirmation, …) or `signal` aborts. */
  produce(bits: number, signal: AbortSignal): Promise<ProductionReport | void>;
}

/** Where the pool reports its fill and sessions (see `CqkdMetrics.keyPoolFill` and `keyPoolSession`). */
export interface KeyPoolMetrics {
  keyPoolFill(pair: string, fill: { bits: number; keys: number; lowWatermarkBits: number }): void;
  keyPoolSession(pair: string, outcome: "completed" | "aborted", produced?: { bits?: number; qber?: number }): void;
}

/**
 * Bits a pool asks of one session. A session's fixed costs (discovery, the DHT announcement, Cascade's round trips,
 * which grow with the logarithm of its length) are spread over more bits the longer it is; 32,768 bits keep the
 * first keys within seconds.
 */
export const DEFAULT_SESSION_BITS = 32_768;
/** Sessions a pool runs at once, each on a worker set of its own, when the number of workers is not known. */
export const DEFAULT_PARALLEL_SESSIONS = 4;

/**
 * Sessions a pool runs at once over `workers` workers: one per 125, 2 to 8. A session spends most of its time waiting
 * on round trips (Cascade's exchanges, the DHT announcement), so at 1000 workers 8 sessions deliver half again the
 * key rate of 4 (96,108 → 137,981 secret bits/s under bench:keyrate); a small cluster's workers would only be shared
 * by more sessions.
 */
export function parallelSessionsFor(workers: number): number {
  return Math.min(8, Math.max(2, Math.floor(workers / 125)));
}

/** Options of {@linkcode KeyPool.start}. */
export interface KeyPoolOptions {
  /** The pair's label in metrics, e.g. "sae-alice/sae-bob". */
  pair: string;
  /** This side's store of the pair's keys: the pool. */
  store: KeyStore;
  producer: KeyProducer;
  /** Below this many bits, refilling starts. */
  lowWatermarkBits: number;
  /** Refilling stops at this many bits. */
  highWatermarkBits: number;
  /** Bits asked of one session. @default {DEFAULT_SESSION_BITS} */
  sessionBits?: number;
  /** Sessions running at once (each on its own worker set). @default {DEFAULT_PARALLEL_SESSIONS} */
  parallel?: number;
  /** First wait after a failed session; it doubles with each failure in a row, up to 30 s. @default {100} */
  retryDelayMs?: number;
  metrics?: KeyPoolMetrics;
}

/** What a pool has done so far. */
export interface KeyPoolStats {
  sessions: number;
  aborted: number;
  producedBits: number;
  /** Why the last session failed, if it did. */
  lastError?: string;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Keeps a pair's key store between its watermarks; `await using` stops it (sessions in flight are aborted).
 *
 * @example
 * ```ts
 * import { KeyStore } from "../keystore/mod.ts";
 * import { KeyPool } from "./key_pool.ts";
 * const store = new KeyStore();
 * const producer = {
 *   produce: (bits: number) => {
 *     store.put({ id: crypto.randomUUID(), sessionId: "s", bytes: new Uint8Array(bits / 8), bitLength: bits, storedAt: 0 });
 *     return Promise.resolve();
 *   },
 * };
 * await using pool = KeyPool.start({ pair: "a/b", store, producer, lowWatermarkBits: 512, highWatermarkBits: 1024, sessionBits: 256 });
 * await pool.filled();
 * console.assert(store.bits >= 1024);
 * ```
 */
export class KeyPool implements AsyncDisposable {
  readonly #options: Required<Omit<KeyPoolOptions, "metrics">> & Pick<KeyPoolOptions, "metrics">;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #unsubscribe: () => void;
  readonly #stats: KeyPoolStats = { sessions: 0, aborted: 0, producedBits: 0 };
  #refilling = false;
  #failuresInARow = 0;
  #waiters: Array<() => void> = [];

  private constructor(options: KeyPoolOptions) {
    const { lowWatermarkBits: low, highWatermarkBits: high } = options;
    if (!(Number.isInteger(low) && Number.isInteger(high) && low >= 0 && high > low)) {
      throw new RangeError(`Cannot start a key pool: watermarks must be integers with 0 <= low < high`);
    }
    if (high > options.store.capacityBits) {
      throw new RangeError(`Cannot start a key pool: the high watermark exceeds the store's capacity`);
    }
    this.#options = {
      sessionBits: DEFAULT_SESSION_BITS,
      parallel: DEFAULT_PARALLEL_SESSIONS,
      retryDelayMs: 100,
      ...options,
    };
    this.#unsubscribe = options.store.subscribe(() => this.#check());
  }

  /** Starts watching `store`; refilling starts at once if it is below the low watermark. */
  static start(options: KeyPoolOptions): KeyPool {
    const pool = new KeyPool(options);
    pool.#check();
    return pool;
  }

  /** Whether sessions are running to refill the pool. */
  get refilling(): boolean {
    return this.#refilling;
  }

  /** Sessions, aborted sessions and bits produced so far. */
  get stats(): Readonly<KeyPoolStats> {
    return { ...this.#stats };
  }

  /** Resolves when the pool is not refilling (at once if it is not). */
  filled(): Promise<void> {
    return this.#refilling ? new Promise((resolve) => this.#waiters.push(resolve)) : Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#unsubscribe();
    this.#stop.abort(new Error("The key pool stopped"));
    await Promise.allSettled([...this.#inFlight]);
    this.#setRefilling(false);
  }

  #check(): void {
    const { store, lowWatermarkBits, pair, metrics } = this.#options;
    metrics?.keyPoolFill(pair, { bits: store.bits, keys: store.size, lowWatermarkBits });
    if (!this.#refilling && store.bits < lowWatermarkBits && !this.#stop.signal.aborted) {
      this.#setRefilling(true);
      this.#launch();
    }
  }

  /** Starts sessions up to the parallel limit while the pool and the sessions in flight stay below the high mark. */
  #launch(): void {
    const { store, highWatermarkBits, sessionBits, parallel } = this.#options;
    while (this.#refilling && this.#inFlight.size < parallel && !this.#stop.signal.aborted) {
      const wanted = highWatermarkBits - store.bits - this.#inFlight.size * sessionBits;
      if (wanted <= 0) break;
      const session = this.#session(Math.min(sessionBits, wanted));
      this.#inFlight.add(session);
      session.finally(() => {
        this.#inFlight.delete(session);
        if (store.bits >= highWatermarkBits && this.#inFlight.size === 0) this.#setRefilling(false);
        else this.#launch();
      });
    }
  }

  async #session(bits: number): Promise<void> {
    const { producer, pair, metrics, retryDelayMs } = this.#options;
    const signal = this.#stop.signal;
    try {
      const report = await producer.produce(bits, signal);
      const produced = report?.bits ?? bits;
      this.#stats.sessions++;
      this.#stats.producedBits += produced;
      this.#failuresInARow = 0;
      metrics?.keyPoolSession(pair, "completed", { bits: produced, ...(report?.qber === undefined ? {} : report) });
    } catch (error) {
      if (signal.aborted) return;
      this.#stats.sessions++;
      this.#stats.aborted++;
      this.#stats.lastError = error instanceof Error ? error.message : String(error);
      metrics?.keyPoolSession(pair, "aborted");
      // A producer failing in a row (no workers, a full peer store) must not spin: wait longer each time.
      const delay = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2 ** this.#failuresInARow++);
      await sleep(delay, signal);
    }
  }

  #setRefilling(refilling: boolean): void {
    this.#refilling = refilling;
    if (!refilling) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = runtime.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      runtime.clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
