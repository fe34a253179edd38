import { formatPeer, type Peer } from "../net/mod.ts";
import type { NodeId } from "./node_id.ts";
import type { SignedWriteRefusal } from "./store_policy.ts";
import { runtime } from "../runtime/mod.ts";

/** Why a node refused to store a value. */
export type StoreRefusal = "too-large" | "storage-full" | "source-quota" | SignedWriteRefusal;

const WHY: Readonly<Record<StoreRefusal, string>> = {
  "too-large": "the value is larger than this node's value limit",
  "storage-full": "this node's storage limit is reached",
  "source-quota": "the sender's address reached its storage quota on this node",
  forged: "it claims to be a signed record but its signature does not verify",
  unsigned: "the key holds a signed record and the write is not signed",
  "other-writer": "the key holds a record signed by another writer",
  stale: "its sequence number is not higher than the stored record's",
  future: "its timestamp is ahead of this node's clock, or its sequence number ahead of its timestamp",
};

/** Options of {@linkcode StoreRefusals}. */
export interface StoreRefusalsOptions {
  /** Receives the warnings. */
  onWarning?: (message: string) => void;
  /** Shortest time between two warnings of the same reason; the refusals in between are counted in the next. @default {60000} */
  warnIntervalMs?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/**
 * The stores a node refused, counted by reason, with a warning per reason at most once per interval (a flood of
 * refused writes must not flood the log).
 */
export class StoreRefusals {
  readonly #counts: Record<StoreRefusal, number> = {
    "too-large": 0,
    "storage-full": 0,
    "source-quota": 0,
    forged: 0,
    unsigned: 0,
    "other-writer": 0,
    stale: 0,
    future: 0,
  };
  readonly #lastWarnedMs = new Map<StoreRefusal, number>();
  readonly #unreported = new Map<StoreRefusal, number>();
  readonly #warn: (message: string) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;

  constructor(options: StoreRefusalsOptions = {}) {
    this.#warn = options.onWarning ?? (() => {});
    this.#intervalMs = options.warnIntervalMs ?? 60_000;
    this.#now = options.now ?? runtime.now;
  }

  /** Refusals so far, by reason. */
  get counts(): Readonly<Record<StoreRefusal, number>> {
    return { ...this.#counts };
  }

  /** Refusals so far, all reasons. */
  get total(): number {
    return Object.values(this.#counts).reduce((sum, n) => sum + n, 0);
  }

  /** Counts a refused store of `key` (from `from`, or from this node itself) and warns when due. */
  record(reason: StoreRefusal, key: NodeId, from?: Peer): void {
    this.#counts[reason]++;
    const unreported = (this.#unreported.get(reason) ?? 0) + 1;
    const now = this.#now();
    if (now - (this.#lastWarnedMs.get(reason) ?? -Infinity) < this.#intervalMs) {
      this.#unreported.set(reason, unreported);
      return;
    }
    this.#lastWarnedMs.set(reason, now);
    this.#unreported.delete(reason);
    const more = unreported > 1 ? ` (${unreported - 1} more such refusals since the last warning)` : "";
    this.#warn(
      `Refused to store key ${key.hex} from ${from ? formatPeer(from) : "this node"}: ${WHY[reason]}${more}`,
    );
  }
}
