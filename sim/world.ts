import { installRuntime, isRealRuntime, type Runtime, type TimerHandle } from "../core/runtime/mod.ts";
import { type NetworkModel, SimNetwork } from "./network.ts";
import { HostWork } from "./host_work.ts";
import { Prng } from "./prng.ts";
import { Scheduler, type TimerEvent } from "./scheduler.ts";
import { cpuSeconds, type HeapReading, liveHeap } from "./memory.ts";

/** What a simulated world is made of, besides its seed. */
export interface WorldOptions {
  seed: number;
  network?: NetworkModel;
  /** Largest clock skew of a process, ms: each gets a uniform offset in [-skew, skew] on its wall clock. @default {0} */
  clockSkewMs?: number;
  /**
   * Host processes short of CPU: the nodes are dealt over `processes` host processes, each of which freezes for an
   * exponentially distributed `forMs` (mean) about every `everyMs` (mean), as a loaded machine's event loops stall.
   * @default none
   */
  stalls?: { processes: number; everyMs: number; forMs: number };
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
  /** The stalls each host process went through, [from, to] in virtual ms (diagnostics: who could not answer when). */
  readonly stallHistory: Array<Array<[number, number]>> = [];
  readonly #clockSkewMs: number;
  readonly #installed: { restore(): void };
  /** WebCrypto calls, queued and awaited event by event (see {@linkcode HostWork}). */
  readonly hostWork: HostWork;

  /** The live heap before the world was built: what the run adds to it is the simulated nodes' memory. */
  readonly heapAtStart: HeapReading;
  /** CPU seconds the process had used before the world was built. */
  readonly cpuAtStart: number;

  constructor(options: WorldOptions) {
    if (!isRealRuntime()) throw new Error("Cannot start a simulation inside another one");
    this.heapAtStart = liveHeap();
    this.cpuAtStart = cpuSeconds();
    this.seed = options.seed;
    this.random = new Prng(options.seed);
    this.network = new SimNetwork(this.scheduler, this.random, options.network);
    this.#clockSkewMs = options.clockSkewMs ?? 0;
    const { scheduler, random, network } = this;
    this.runtime = {
      now: () => SIM_EPOCH_MS + scheduler.now + (this.#skew[scheduler.current] ?? 0),
      monotonic: () => scheduler.now,
      setTimeout: (callback, ms) => scheduler.setTimeout(callback, ms) as unknown as TimerHandle,
      clearTimeout: (handle) => scheduler.clearTimeout(handle as unknown as TimerEvent | undefined),
      random: () => random.random(),
      randomBytes: (bytes) => random.fill(bytes),
      randomUUID: () => random.uuid(),
      listenDatagram: (bind) => network.listen(bind, scheduler.current),
    };
    if (options.stalls !== undefined) this.#freeze(options.stalls);
    this.#installed = installRuntime(this.runtime);
    this.hostWork = HostWork.install();
    this.scheduler.hostWork = this.hostWork;
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

  /** Freezes the host processes now and then; their stalls are drawn as time reaches them. */
  #freeze({ processes, everyMs, forMs }: NonNullable<WorldOptions["stalls"]>): void {
    const stalls = Array.from({ length: processes }, () => ({ from: -1, to: -1 }));
    this.scheduler.frozenUntil = (ctx, t) => {
      if (ctx === 0) return undefined;
      const stall = stalls[ctx % processes]!;
      while (stall.to < t) {
        stall.from = Math.max(stall.to, 0) + this.random.exponential(everyMs);
        stall.to = stall.from + this.random.exponential(forMs);
      }
      if (t >= stall.from) {
        const history = this.stallHistory[ctx % processes] ??= [];
        if (history.at(-1)?.[0] !== stall.from) history.push([stall.from, stall.to]);
        return stall.to;
      }
      return undefined;
    };
  }

  [Symbol.dispose](): void {
    this.hostWork[Symbol.dispose]();
    this.#installed.restore();
  }
}
