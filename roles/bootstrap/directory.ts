/** What one bootstrap node knows of the others: its subtree (from announces) and what its parent answered. */
import type { BootstrapInfo } from "./info.ts";
import type { Candidate } from "./load_balancer.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Where an entry was learned: announced by the subtree below, or answered by the parent above. */
export type EntrySource = "subtree" | "parent";

/** A directory entry as {@linkcode Directory.entries} lists it. */
export type DirectoryEntry = BootstrapInfo & { alive: boolean; lastSeenMs: number };

/** Options of {@linkcode Directory}. */
export interface DirectoryOptions {
  /** The owner's node id (hex): never an entry of its own directory. */
  selfId: string;
  /** An entry not refreshed for 3 heartbeats is dead. */
  heartbeatMs: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

interface Entry {
  info: BootstrapInfo;
  promised: number;
  lastSeenMs: number;
  source: EntrySource;
}

/** Heartbeats without news after which an entry is dead. */
export const DEAD_AFTER_HEARTBEATS = 3;

/**
 * The bootstrap directory of one node. Entries go dead after {@linkcode DEAD_AFTER_HEARTBEATS} heartbeats without
 * news and are forgotten after twice that. The subtree is authoritative: an echo of it in the parent's answer never
 * keeps alive an entry the subtree stopped announcing.
 */
export class Directory {
  readonly #entries = new Map<string, Entry>();
  readonly #selfId: string;
  readonly #deadAfterMs: number;
  readonly #now: () => number;

  constructor(options: DirectoryOptions) {
    if (!(options.heartbeatMs > 0)) {
      throw new RangeError(`Cannot keep a directory: heartbeat ${options.heartbeatMs} ms`);
    }
    this.#selfId = options.selfId;
    this.#deadAfterMs = DEAD_AFTER_HEARTBEATS * options.heartbeatMs;
    this.#now = options.now ?? runtime.now;
  }

  /** Number of entries, dead ones included. */
  get size(): number {
    return this.#entries.size;
  }

  /** A child announced itself and the subtree below it. */
  heardFromChild(child: BootstrapInfo, subtree: readonly BootstrapInfo[]): void {
    for (const info of [child, ...subtree]) this.#put(info, "subtree");
  }

  /** The parent answered its directory: learn the siblings and the tree above, but not our own subtree again. */
  heardFromParent(infos: readonly BootstrapInfo[]): void {
    for (const info of infos) {
      if (this.#entries.get(info.id)?.source !== "subtree") this.#put(info, "parent");
    }
  }

  /** Records that a joiner was handed this node, until its next report. */
  promise(id: string): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.promised++;
  }

  /** Every entry, as the load balancer weighs it. */
  candidates(): Candidate[] {
    const now = this.#now();
    return [...this.#entries.values()].map((e) => ({
      info: e.info,
      promised: e.promised,
      alive: this.#isAlive(e, now),
    }));
  }

  /** The live entries announced from below: what this node announces to its own parent. */
  subtree(): BootstrapInfo[] {
    const now = this.#now();
    return [...this.#entries.values()].filter((e) => e.source === "subtree" && this.#isAlive(e, now)).map((e) =>
      e.info
    );
  }

  /** Every entry with its liveness and when it was last refreshed. */
  entries(): DirectoryEntry[] {
    const now = this.#now();
    return [...this.#entries.values()].map((e) => ({
      ...e.info,
      alive: this.#isAlive(e, now),
      lastSeenMs: e.lastSeenMs,
    }));
  }

  /** Forgets entries dead for as long again as it took them to die. */
  prune(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (now - entry.lastSeenMs >= 2 * this.#deadAfterMs) this.#entries.delete(id);
    }
  }

  #put(info: BootstrapInfo, source: EntrySource): void {
    if (info.id === this.#selfId) return;
    // A fresh report includes the joiners promised before it, so the promises start over.
    this.#entries.set(info.id, { info, promised: 0, lastSeenMs: this.#now(), source });
  }

  #isAlive(entry: Entry, now: number): boolean {
    return now - entry.lastSeenMs < this.#deadAfterMs;
  }
}
