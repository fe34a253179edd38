import { installRuntime, isRealRuntime, type Runtime, type TimerHandle } from "../core/runtime/mod.ts";
import { type NetworkModel, SimNetwork } from "./network.ts";
import { Prng } from "./prng.ts";
import { Scheduler } from "./scheduler.ts";

/** What a simulated world is made of, besides its seed. */
export interface WorldOptions {
  seed: number;
  network?: NetworkModel;
  /** Largest clock skew of a process, ms: each gets a uniform offset in [-skew, skew] on its wall clock. @default {0} */
  clockSkewMs?: number;
}

/** The wall-clock time at which every simulation starts (2026-01-01T00:00:00Z). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * One simulated world: the virtual clock and scheduler, the seeded random source, the datagram network, and the
 * runtime that makes node code use them. Installed for the duration of a run (one world per process at a time).
 */
export class World implements Disposable {
  readonly seed: number;
  readonly scheduler = new Scheduler();
  readonly random: Prng;
  readonly network: SimNetwork;
  readonly runtime: Runtime;
  readonly #skew: number[] = [0];
  readonly #clockSkewMs: number;
  readonly #installed: { restore(): void };

  constructor(options: WorldOptions) {
    if (!isRealRuntime()) throw new Error("Cannot start a simulation inside another one");
    this.seed = options.seed;
    this.random = new Prng(options.seed);
    this.network = new SimNetwork(this.scheduler, this.random, options.network);
    this.#clockSkewMs = options.clockSkewMs ?? 0;
    const { scheduler, random, network } = this;
    this.runtime = {
      now: () => SIM_EPOCH_MS + scheduler.now + (this.#skew[scheduler.current] ?? 0),
      monotonic: () => scheduler.now,
      setTimeout: (callback, ms) => scheduler.setTimeout(callback, ms) as unknown as TimerHandle,
      clearTimeout: (handle) => scheduler.clearTimeout(handle as unknown as number | undefined),
      random: () => random.random(),
      randomBytes: (bytes) => random.fill(bytes),
      randomUUID: () => random.uuid(),
      listenDatagram: (bind) => network.listen(bind, scheduler.current),
    };
    this.#installed = installRuntime(this.runtime);
  }

  /** Virtual seconds since the start. */
  get seconds(): number {
    return this.scheduler.now / 1000;
  }

  /** A new process, with its own clock skew. */
  newProcess(): number {
    const ctx = this.scheduler.newContext();
    this.#skew[ctx] = this.#clockSkewMs === 0 ? 0 : (this.random.random() * 2 - 1) * this.#clockSkewMs;
    return ctx;
  }

  /** Runs the world until virtual second `s`. */
  runUntil(s: number): Promise<void> {
    return this.scheduler.run(s * 1000);
  }

  [Symbol.dispose](): void {
    this.#installed.restore();
  }
}
