import type { KademliaNode } from "../kademlia/mod.ts";
import { runtime } from "../runtime/mod.ts";

/** How fast the routing table changes, compared with the dynamics thresholds. */
export type DynamicsLevel = "low" | "medium" | "high";

/** Options of {@linkcode DynamicsAnalyzer}. */
export interface DynamicsAnalyzerOptions {
  /** Time over which changes are counted. @default {120} */
  windowS?: number;
  /** Churn (contacts gained + lost per minute, as a share of the table) from which dynamics are high. @default {0.1} */
  highChurnPerMin?: number;
  /** Churn below which dynamics are low. @default {0.01} */
  lowChurnPerMin?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** What {@linkcode DynamicsAnalyzer.snapshot} reports. */
export interface DynamicsSnapshot {
  gainedPerMin: number;
  lostPerMin: number;
  /** RPCs to known contacts that got no answer, per minute. */
  failuresPerMin: number;
  /** (gained + lost) per minute over the table size. */
  churnPerMin: number;
  level: DynamicsLevel;
}

const SLOTS = 12;
type Kind = "gained" | "lost" | "failed";

/**
 * The network dynamics as one node sees them: contacts gained and lost by its routing table and RPC failures,
 * counted in a sliding window of fixed slots (no per-event allocation), and classed low / medium / high.
 */
export class DynamicsAnalyzer {
  readonly #slotMs: number;
  readonly #high: number;
  readonly #low: number;
  readonly #now: () => number;
  readonly #counts: Record<Kind, number[]> = { gained: [], lost: [], failed: [] };
  readonly #slotStart: number[] = new Array(SLOTS).fill(-Infinity);
  readonly #startedMs: number;

  constructor(options: DynamicsAnalyzerOptions = {}) {
    this.#slotMs = (options.windowS ?? 120) * 1000 / SLOTS;
    this.#high = options.highChurnPerMin ?? 0.1;
    this.#low = options.lowChurnPerMin ?? 0.01;
    this.#now = options.now ?? runtime.now;
    for (const kind of Object.keys(this.#counts) as Kind[]) this.#counts[kind] = new Array(SLOTS).fill(0);
    this.#startedMs = this.#now();
  }

  /** Counts the changes of a node's routing table and its failed RPCs; returns a function that stops counting. */
  observe(node: KademliaNode): () => void {
    const offTable = node.table.changes.on((change) => this.record(change.kind === "added" ? "gained" : "lost"));
    const offFailures = node.events.rpcFailure.on(() => this.record("failed"));
    return () => {
      offTable();
      offFailures();
    };
  }

  /** Counts one event now. */
  record(kind: Kind): void {
    const now = this.#now();
    const slot = Math.floor(now / this.#slotMs);
    const i = slot % SLOTS;
    if (this.#slotStart[i] !== slot) {
      this.#slotStart[i] = slot;
      for (const counts of Object.values(this.#counts)) counts[i] = 0;
    }
    this.#counts[kind][i]!++;
  }

  /** The rates over the window (or since the analyzer started, when that is shorter), for a table of `tableSize`. */
  snapshot(tableSize: number): DynamicsSnapshot {
    const now = this.#now();
    const current = Math.floor(now / this.#slotMs);
    const sums: Record<Kind, number> = { gained: 0, lost: 0, failed: 0 };
    for (let i = 0; i < SLOTS; i++) {
      if (current - this.#slotStart[i]! >= SLOTS) continue;
      for (const kind of Object.keys(sums) as Kind[]) sums[kind] += this.#counts[kind][i]!;
    }
    const minutes = Math.max(this.#slotMs, Math.min(SLOTS * this.#slotMs, now - this.#startedMs)) / 60_000;
    const gainedPerMin = sums.gained / minutes;
    const lostPerMin = sums.lost / minutes;
    const churnPerMin = (gainedPerMin + lostPerMin) / Math.max(1, tableSize);
    const level = churnPerMin >= this.#high ? "high" : churnPerMin < this.#low ? "low" : "medium";
    return { gainedPerMin, lostPerMin, failuresPerMin: sums.failed / minutes, churnPerMin, level };
  }
}
