/** Latency percentiles, in milliseconds, over a set of samples. */
export interface LatencyPercentiles {
  /** Samples the percentiles are taken over. */
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * The `q` quantile (0..1) of samples sorted in ascending order, by the nearest-rank method; 0 when there are none.
 *
 * @example
 * ```ts
 * import { quantile } from "./latency_window.ts";
 * console.assert(quantile([1, 2, 3, 4], 0.5) === 2 && quantile([1, 2, 3, 4], 0.99) === 4);
 * ```
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p90, p99 and the largest of some latency samples, in milliseconds (all 0 when there are none). */
export function percentilesOf(samplesMs: Iterable<number>): LatencyPercentiles {
  const sorted = Float64Array.from(samplesMs).sort();
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    samples: sorted.length,
    p50Ms: round(quantile(sorted, 0.5)),
    p90Ms: round(quantile(sorted, 0.9)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/**
 * The round-trip times of the last `capacity` answered requests of a transport, in a fixed ring (no allocation per
 * sample): what the latency percentiles of `cqkd diagnose performance` are taken over.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;

  /** @param capacity samples kept (the newest) @default {256} */
  constructor(capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot keep ${capacity} latency samples: expected an integer >= 1`);
    }
    this.#samples = new Float64Array(capacity);
  }

  /** Takes one measured round trip, in milliseconds (not a number or negative: ignored). */
  sample(rttMs: number): void {
    if (!(rttMs >= 0)) return;
    this.#samples[this.#count++ % this.#samples.length] = rttMs;
  }

  /** Round trips sampled since the start (the window holds the newest `capacity` of them). */
  get total(): number {
    return this.#count;
  }

  /** The samples in the window, in no particular order. */
  samples(): Float64Array {
    return this.#samples.slice(0, Math.min(this.#count, this.#samples.length));
  }

  /** The percentiles of the samples in the window. */
  percentiles(): LatencyPercentiles {
    return percentilesOf(this.samples());
  }
}
