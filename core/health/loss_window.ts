import { runtime } from "../runtime/mod.ts";
/** Options of {@linkcode LossWindow}. */
export interface LossWindowOptions {
  /** Time over which losses count. */
  windowMs: number;
  /** Share of the contacts whose loss within the window suggests a partition. @default {0.5} */
  share?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/**
 * Counts the contacts a routing table lost within a sliding time window. Losing a large share of them at once
 * (and at least three) is not churn: it is a partition, or this host stalling, and calls for caution (keep what
 * is left, refresh everything) rather than for more removals.
 */
export class LossWindow {
  readonly #windowMs: number;
  readonly #share: number;
  readonly #now: () => number;
  readonly #losses: number[] = [];

  constructor(options: LossWindowOptions) {
    this.#windowMs = options.windowMs;
    this.#share = options.share ?? 0.5;
    this.#now = options.now ?? runtime.now;
  }

  /** Counts one loss now. */
  record(): void {
    this.#losses.push(this.#now());
  }

  /** Whether the losses within the window reach the share of the contacts held before them (`remaining` + lost). */
  suspected(remaining: number): boolean {
    const oldest = this.#now() - this.#windowMs;
    while (this.#losses.length > 0 && this.#losses[0]! < oldest) this.#losses.shift();
    const lost = this.#losses.length;
    return lost >= 3 && lost >= this.#share * (remaining + lost);
  }
}
