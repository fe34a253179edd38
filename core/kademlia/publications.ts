import type { NodeId } from "./node_id.ts";
import type { StoredValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";

/** A value this node wrote with `set()`, and when it last stored it on the network. */
export interface Publication {
  readonly key: NodeId;
  readonly value: StoredValue;
  readonly publishedAtMs: number;
}

/**
 * The values this node is the writer of, kept apart from the replicas it holds for others: the writer
 * republishes them hourly wherever it sits in the id space, and a local copy must not answer a local `get()` once
 * another writer has replaced the value on the network.
 */
export class Publications {
  readonly #entries = new Map<string, Publication>();
  readonly #limit: number;
  readonly #now: () => number;

  /** @param limit most values kept; publishing past it forgets the oldest publication */
  constructor(options: { limit?: number; now?: () => number } = {}) {
    this.#limit = options.limit ?? 100000;
    this.#now = options.now ?? runtime.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records that `value` was just stored under `key`. */
  published(key: NodeId, value: StoredValue): void {
    this.#entries.delete(key.hex);
    this.#entries.set(key.hex, { key, value, publishedAtMs: this.#now() });
    for (const hex of this.#entries.keys()) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(hex);
    }
  }

  /** Stops republishing a key (another writer replaced the value). */
  withdraw(key: NodeId): void {
    this.#entries.delete(key.hex);
  }

  /** Publications last stored more than `ageMs` ago. */
  dueFor(ageMs: number): Publication[] {
    const limit = this.#now() - ageMs;
    return [...this.#entries.values()].filter((p) => p.publishedAtMs <= limit);
  }
}
