/**
 * How many nodes a host process starts and joins at once, paced by how late its own timers fire. A host of a thousand
 * nodes on a machine short of CPU that keeps starting joins at a fixed rate only makes every answer later: past the
 * RPC timeouts, joins fail, health checks drop live contacts and the stalled nodes look themselves up, which is more
 * work still (the 10,000-worker cluster went silent so). Additive increase, multiplicative decrease, as TCP paces
 * its window: the loop's lag is the congestion signal.
 *
 * @module
 */

/** Options of {@linkcode JoinPacing}. */
export interface JoinPacingOptions {
  /** Most joins at once. @default {32} */
  max?: number;
  /** Fewest joins at once, however loaded the process. @default {2} */
  min?: number;
  /** Joins allowed at first. @default {max} */
  initial?: number;
  /** A timer firing this late (ms) means the process is behind: the limit halves. @default {100} */
  busyLagMs?: number;
  /** A timer firing at most this late (ms) means the process keeps up: the limit grows by one. @default {25} */
  idleLagMs?: number;
  /** How often the lag is sampled while joins are going on (ms). @default {200} */
  sampleMs?: number;
  /** Called when the limit grew: more joins may start. */
  onRaise?: () => void;
}

/** The number of joins a host process runs at once, from the lag of its event loop. */
export class JoinPacing implements Disposable {
  readonly #max: number;
  readonly #min: number;
  readonly #busyLagMs: number;
  readonly #idleLagMs: number;
  readonly #sampleMs: number;
  readonly #onRaise: () => void;
  #limit: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: JoinPacingOptions = {}) {
    this.#max = options.max ?? 32;
    this.#min = Math.min(options.min ?? 2, this.#max);
    this.#limit = Math.max(this.#min, Math.min(this.#max, options.initial ?? this.#max));
    this.#busyLagMs = options.busyLagMs ?? 100;
    this.#idleLagMs = options.idleLagMs ?? 25;
    this.#sampleMs = options.sampleMs ?? 200;
    this.#onRaise = options.onRaise ?? (() => {});
  }

  /** Joins allowed at once now. */
  get limit(): number {
    return this.#limit;
  }

  /** One sample of the loop's lag (ms): halves the limit when behind, adds one when keeping up. */
  observe(lagMs: number): void {
    if (lagMs >= this.#busyLagMs) {
      this.#limit = Math.max(this.#min, Math.floor(this.#limit / 2));
    } else if (lagMs <= this.#idleLagMs && this.#limit < this.#max) {
      this.#limit++;
      this.#onRaise();
    }
  }

  /** Samples the lag while `busy()` says joins are going on or waiting; stops by itself once they are all done. */
  watch(busy: () => boolean): void {
    if (this.#timer !== undefined) return;
    const sample = (expectedAt: number) => {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        const lagMs = performance.now() - expectedAt;
        if (busy()) sample(performance.now() + this.#sampleMs);
        // After the next sample is scheduled: a raise starts more joins, whose watch() must find this one running
        // (observing first forked a second sampler on every raise, and the samplers multiplied).
        this.observe(lagMs);
      }, this.#sampleMs);
    };
    sample(performance.now() + this.#sampleMs);
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
