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
  /** Most entries kept; announces of new nodes beyond it are ignored until dead entries are forgotten. @default {1024} */
  maxEntries?: number;
  /** Most entries one announcing address host brings (itself and its subtree). @default {64} */
  maxPerSource?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

interface Entry {
  info: BootstrapInfo;
  promised: number;
  lastSeenMs: number;
  source: EntrySource;
  /** The address host that told us of it ("parent" for the parent's answer), counted against its cap. */
  via: string;
  /** Whether the node announced itself (in secure mode, from the id it proved), rather than being named by another. */
  direct: boolean;
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
  readonly #perSource = new Map<string, number>();
  readonly #selfId: string;
  readonly #deadAfterMs: number;
  readonly #maxEntries: number;
  readonly #maxPerSource: number;
  readonly #now: () => number;
  /** Announced entries ignored because the directory or the announcer's cap was full. */
  refused = 0;

  constructor(options: DirectoryOptions) {
    if (!(options.heartbeatMs > 0)) {
      throw new RangeError(`Cannot keep a directory: heartbeat ${options.heartbeatMs} ms`);
    }
    this.#selfId = options.selfId;
    this.#deadAfterMs = DEAD_AFTER_HEARTBEATS * options.heartbeatMs;
    this.#maxEntries = options.maxEntries ?? 1024;
    this.#maxPerSource = options.maxPerSource ?? 64;
    this.#now = options.now ?? runtime.now;
  }

  /** Number of entries, dead ones included. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A child announced itself and the subtree below it, from address host `via`. An entry the node announced itself
   * is never replaced by what another node says of it.
   */
  heardFromChild(child: BootstrapInfo, subtree: readonly BootstrapInfo[], via: string): void {
    this.#put(child, "subtree", via, true);
    for (const info of subtree) this.#put(info, "subtree", via, false);
  }

  /** The parent answered its directory: learn the siblings and the tree above, but not our own subtree again. */
  heardFromParent(infos: readonly BootstrapInfo[]): void {
    for (const info of infos) {
      if (this.#entries.get(info.id)?.source !== "subtree") this.#put(info, "parent", "parent", false);
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
      if (now - entry.lastSeenMs >= 2 * this.#deadAfterMs) this.#delete(id);
    }
  }

  #put(info: BootstrapInfo, source: EntrySource, via: string, direct: boolean): void {
    if (info.id === this.#selfId) return;
    const existing = this.#entries.get(info.id);
    if (existing?.direct && !direct) return;
    if (existing?.via !== via) {
      if (existing === undefined && this.#entries.size >= this.#maxEntries) this.prune();
      const full = existing === undefined && this.#entries.size >= this.#maxEntries;
      if (full || (via !== "parent" && (this.#perSource.get(via) ?? 0) >= this.#maxPerSource)) {
        this.refused++;
        return;
      }
      this.#delete(info.id);
      this.#perSource.set(via, (this.#perSource.get(via) ?? 0) + 1);
    }
    // A fresh report includes the joiners promised before it, so the promises start over.
    this.#entries.set(info.id, { info, promised: 0, lastSeenMs: this.#now(), source, via, direct });
  }

  #delete(id: string): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    const left = (this.#perSource.get(entry.via) ?? 1) - 1;
    if (left > 0) this.#perSource.set(entry.via, left);
    else this.#perSource.delete(entry.via);
  }

  #isAlive(entry: Entry, now: number): boolean {
    return now - entry.lastSeenMs < this.#deadAfterMs;
  }
}
