import { runtime } from "../runtime/mod.ts";
/** Options of {@linkcode FaultInjector}: what an unreliable network would do to a node's outgoing datagrams. */
export interface FaultInjectionOptions {
  /** Share of outgoing datagrams dropped, 0 to 1. @default {0} */
  dropProbability?: number;
  /** Delay added to every outgoing datagram that is not dropped. @default {0} */
  delayMs?: number;
  /** Up to this much more delay, drawn uniformly per datagram (so datagrams may overtake each other). @default {0} */
  jitterMs?: number;
  /** Random numbers in [0, 1). @default {Math.random} */
  random?: () => number;
}

/**
 * Loss and delay injected into a transport's outgoing datagrams: a testing aid for kernels without `tc netem`.
 * {@linkcode FaultInjector.from} gives none when every option is 0, so a transport without faults pays one check.
 */
export class FaultInjector {
  readonly dropProbability: number;
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly #random: () => number;
  /** Delays in progress, each with the function that ends it early (on close). */
  readonly #waiting = new Map<ReturnType<typeof setTimeout>, (sent: boolean) => void>();

  /** @throws {RangeError} when a probability is outside 0..1 or a delay is negative */
  constructor(options: FaultInjectionOptions) {
    const { dropProbability = 0, delayMs = 0, jitterMs = 0 } = options;
    if (!(dropProbability >= 0 && dropProbability <= 1)) {
      throw new RangeError(`Cannot inject faults: drop probability ${dropProbability} is outside 0..1`);
    }
    if (!(delayMs >= 0) || !(jitterMs >= 0)) {
      throw new RangeError(`Cannot inject faults: delay ${delayMs} ms (jitter ${jitterMs} ms) is negative`);
    }
    this.dropProbability = dropProbability;
    this.delayMs = delayMs;
    this.jitterMs = jitterMs;
    this.#random = options.random ?? runtime.random;
  }

  /** The injector for `options`, or `undefined` when they inject nothing. */
  static from(options: FaultInjectionOptions | undefined): FaultInjector | undefined {
    if (!options?.dropProbability && !options?.delayMs && !options?.jitterMs) return undefined;
    return new FaultInjector(options);
  }

  /** What happens to the next datagram: `"drop"`, or the milliseconds to hold it before sending (0: at once). */
  fate(): "drop" | number {
    if (this.dropProbability > 0 && this.#random() < this.dropProbability) return "drop";
    return this.delayMs + (this.jitterMs > 0 ? this.#random() * this.jitterMs : 0);
  }

  /** Waits `ms`; resolves `true` when the datagram should go, `false` when {@linkcode close} came first. */
  hold(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = runtime.setTimeout(() => {
        this.#waiting.delete(timer);
        resolve(true);
      }, ms);
      this.#waiting.set(timer, resolve);
    });
  }

  /** Ends every delay in progress: those datagrams are never sent. */
  close(): void {
    for (const [timer, resolve] of this.#waiting) {
      runtime.clearTimeout(timer);
      resolve(false);
    }
    this.#waiting.clear();
  }
}
