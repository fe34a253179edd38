/** Options of {@linkcode PerformanceMonitor}. */
export interface PerformanceMonitorOptions {
  /** Weight of a new lookup in the recent averages. @default {0.2} */
  recentWeight?: number;
  /** Weight of a new lookup in the baseline averages. @default {0.02} */
  baselineWeight?: number;
  /** Lookups needed before any judgement. @default {10} */
  minLookups?: number;
  /** Latency is degraded above this multiple of its baseline… @default {2} */
  latencyFactor?: number;
  /** …and above this absolute latency. @default {200} */
  minLatencyMs?: number;
  /** The share of queried contacts that fail is degraded this far above its baseline. @default {0.1} */
  failureRise?: number;
}

/** Recent and baseline lookup performance. */
export interface PerformanceSnapshot {
  lookups: number;
  latencyMs: number;
  baselineLatencyMs: number;
  /** Share of the contacts a lookup queried that did not answer (0..1). */
  failureShare: number;
  baselineFailureShare: number;
  degraded: boolean;
}

/**
 * Lookup performance over time: exponentially weighted recent and baseline averages of lookup latency and of the
 * share of queried contacts that failed. Performance is degraded when the recent values rise well above the
 * baseline: the performance trigger of the adaptive refresh.
 */
export class PerformanceMonitor {
  readonly #recentWeight: number;
  readonly #baselineWeight: number;
  readonly #minLookups: number;
  readonly #latencyFactor: number;
  readonly #minLatencyMs: number;
  readonly #failureRise: number;
  #lookups = 0;
  #latency = { recent: 0, baseline: 0 };
  #failures = { recent: 0, baseline: 0 };

  constructor(options: PerformanceMonitorOptions = {}) {
    this.#recentWeight = options.recentWeight ?? 0.2;
    this.#baselineWeight = options.baselineWeight ?? 0.02;
    this.#minLookups = options.minLookups ?? 10;
    this.#latencyFactor = options.latencyFactor ?? 2;
    this.#minLatencyMs = options.minLatencyMs ?? 200;
    this.#failureRise = options.failureRise ?? 0.1;
  }

  /** Records one finished lookup. */
  record(durationMs: number, queried: number, failed: number): void {
    const share = queried === 0 ? 0 : failed / queried;
    const first = this.#lookups++ === 0;
    this.#latency = this.#mix(this.#latency, durationMs, first);
    this.#failures = this.#mix(this.#failures, share, first);
  }

  /** Whether recent lookups are clearly slower or fail more than the baseline. */
  get degraded(): boolean {
    if (this.#lookups < this.#minLookups) return false;
    const slow = this.#latency.recent > this.#minLatencyMs &&
      this.#latency.recent > this.#latencyFactor * this.#latency.baseline;
    return slow || this.#failures.recent > this.#failures.baseline + this.#failureRise;
  }

  snapshot(): PerformanceSnapshot {
    return {
      lookups: this.#lookups,
      latencyMs: this.#latency.recent,
      baselineLatencyMs: this.#latency.baseline,
      failureShare: this.#failures.recent,
      baselineFailureShare: this.#failures.baseline,
      degraded: this.degraded,
    };
  }

  #mix(avg: { recent: number; baseline: number }, x: number, first: boolean) {
    if (first) return { recent: x, baseline: x };
    return {
      recent: avg.recent + this.#recentWeight * (x - avg.recent),
      baseline: avg.baseline + this.#baselineWeight * (x - avg.baseline),
    };
  }
}
