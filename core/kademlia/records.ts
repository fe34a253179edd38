import type { NodeId } from "./node_id.ts";
import type { StoredValue } from "./value.ts";

/** One stored value. */
export interface StoredRecord {
  readonly key: NodeId;
  readonly value: StoredValue;
  /** When it was stored or last refreshed, in ms. */
  readonly storedAtMs: number;
}

/** Options of {@linkcode RecordStore}. */
export interface RecordStoreOptions {
  /** Lifetime of a value after it was last stored, in seconds. @default {604800} (one week, as legacy nodes) */
  ttlS?: number;
  /** Most values held at once; a store beyond it is refused. @default {100000} */
  maxRecords?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Raised when a store would exceed the node's value count limit. */
export class StorageFullError extends Error {
  override name = "StorageFullError";
  constructor(readonly limit: number) {
    super(`Cannot store the value: this node already holds its limit of ${limit} values`);
  }
}

/**
 * The values a node holds for the network, with TTL expiry. Storing the same key again replaces the value and
 * restarts its lifetime.
 */
export class RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #ttlMs: number;
  readonly #maxRecords: number;
  readonly #now: () => number;

  constructor(options: RecordStoreOptions = {}) {
    this.#ttlMs = (options.ttlS ?? 604800) * 1000;
    this.#maxRecords = options.maxRecords ?? 100000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#records.size;
  }

  /** Stores or refreshes a value. @throws {StorageFullError} when a new key would exceed the limit */
  put(key: NodeId, value: StoredValue): StoredRecord {
    const previous = this.#records.get(key.hex);
    if (previous === undefined && this.#records.size >= this.#maxRecords) {
      this.expire();
      if (this.#records.size >= this.#maxRecords) throw new StorageFullError(this.#maxRecords);
    }
    const record = { key, value, storedAtMs: this.#now() };
    this.#records.set(key.hex, record);
    return record;
  }

  /** The live value of a key, if held. */
  get(key: NodeId): StoredValue | undefined {
    const record = this.#records.get(key.hex);
    if (record === undefined) return undefined;
    if (this.#isExpired(record)) {
      this.#records.delete(key.hex);
      return undefined;
    }
    return record.value;
  }

  /** Every live record. */
  records(): StoredRecord[] {
    return [...this.#records.values()].filter((r) => !this.#isExpired(r));
  }

  /** Drops expired values; returns how many. */
  expire(): number {
    let dropped = 0;
    for (const [hex, record] of this.#records) {
      if (this.#isExpired(record)) {
        this.#records.delete(hex);
        dropped++;
      }
    }
    return dropped;
  }

  #isExpired(record: StoredRecord): boolean {
    return this.#now() - record.storedAtMs >= this.#ttlMs;
  }
}
