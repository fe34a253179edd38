/**
 * What the workers of a session saw of its key: for each worker, the kept (reconciled) bits of the batches where it
 * held a slot that sees key bits (QSG, QPP, QPM). The largest total that `t` colluding workers reach is counted as
 * leaked, and privacy amplification removes it.
 */

/**
 * The exposure of one session's key to its workers.
 *
 * @example
 * ```ts
 * import { WorkerExposure } from "./worker_exposure.ts";
 * const exposure = new WorkerExposure();
 * exposure.add(["a", "b", "c"], 100);
 * exposure.add(["a", "d", "e"], 100);
 * console.assert(exposure.leakedBits(1) === 200 && exposure.leakedBits(2) === 200);
 * console.assert(exposure.maxShare(1) === 1);
 * ```
 */
export class WorkerExposure {
  readonly #bits = new Map<string, number>();
  #total = 0;

  /** Key slots each worker held so far (spreading picks the least loaded). */
  readonly load = new Map<string, number>();

  /** Records a batch: `bits` kept bits that each of `workers` (its key slots) saw. */
  add(workers: readonly string[], bits: number): void {
    this.#total += bits;
    for (const id of new Set(workers)) this.#bits.set(id, (this.#bits.get(id) ?? 0) + bits);
  }

  /** Records that `worker` took a key slot. */
  assigned(worker: string): void {
    this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
  }

  /** Kept bits recorded so far. */
  get totalBits(): number {
    return this.#total;
  }

  /**
   * The most kept bits `t` colluding workers saw together: the sum of the `t` largest exposures (a union is no
   * larger than the sum), at most every kept bit.
   */
  leakedBits(t: number): number {
    const largest = [...this.#bits.values()].sort((a, b) => b - a).slice(0, Math.max(0, t));
    return Math.min(this.#total, largest.reduce((sum, bits) => sum + bits, 0));
  }

  /** {@linkcode leakedBits} as a share of the kept bits (0 before any). */
  maxShare(t: number): number {
    return this.#total === 0 ? 0 : this.leakedBits(t) / this.#total;
  }
}
