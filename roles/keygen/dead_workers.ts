/**
 * The workers Alice found dead, kept out of her sessions for a while rather than for good: a worker that missed its
 * probes because its host was overloaded, or that restarted, comes back once its quarantine ends, so a long-running
 * key pool does not lose its workers one slow moment at a time. A worker found dead again stays out twice as long
 * (up to a cap). The record is bounded: past its size, the entries of the longest-quiet workers are forgotten.
 *
 * @module
 */
import { runtime } from "../../core/runtime/mod.ts";

/** Options of {@linkcode DeadWorkers}. */
export interface DeadWorkersOptions {
  /** A worker's first quarantine. @default {60000} */
  quarantineMs?: number;
  /** The longest quarantine, reached by doubling. @default {1800000} */
  maxQuarantineMs?: number;
  /** Most workers remembered. @default {65536} */
  maxEntries?: number;
}

interface Entry {
  until: number;
  quarantineMs: number;
}

/** Workers in quarantine, by id (hex). */
export class DeadWorkers {
  readonly #options: Required<DeadWorkersOptions>;
  /** Ordered by last finding, oldest first. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: DeadWorkersOptions = {}) {
    this.#options = { quarantineMs: 60_000, maxQuarantineMs: 1_800_000, maxEntries: 65_536, ...options };
  }

  /** Puts `id` in quarantine: for the first quarantine, or twice the last one if that ended less than it ago. */
  add(id: string): void {
    const now = runtime.now();
    const last = this.#entries.get(id);
    if (last !== undefined && now < last.until) return;
    const { quarantineMs, maxQuarantineMs, maxEntries } = this.#options;
    const recent = last !== undefined && now - last.until < last.quarantineMs;
    const next = recent ? Math.min(maxQuarantineMs, 2 * last.quarantineMs) : quarantineMs;
    this.#entries.delete(id);
    this.#entries.set(id, { until: now + next, quarantineMs: next });
    for (const old of this.#entries.keys()) {
      if (this.#entries.size <= maxEntries) break;
      this.#entries.delete(old);
    }
  }

  /** Ends the quarantine of `id` (it answered after all) and forgets its record. */
  release(id: string): void {
    this.#entries.delete(id);
  }

  /** Whether `id` is in quarantine now. */
  has(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && runtime.now() < entry.until;
  }

  /** The ids in quarantine now. */
  ids(): string[] {
    const now = runtime.now();
    return [...this.#entries].filter(([, entry]) => now < entry.until).map(([id]) => id);
  }

  /** How many workers are in quarantine now. */
  get size(): number {
    return this.ids().length;
  }
}
