import { encodeValue } from "../net/mod.ts";
import type { NodeId } from "./node_id.ts";
import type { StoredValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";

/** One stored value. */
export interface StoredRecord {
  readonly key: NodeId;
  readonly value: StoredValue;
  /** When it was stored or last refreshed, in ms. */
  readonly storedAtMs: number;
  /** Its msgpack-encoded size, as counted against the storage limit. */
  readonly sizeBytes: number;
}

/** Options of {@linkcode RecordStore}. */
export interface RecordStoreOptions {
  /** Lifetime of a value after it was last stored, in seconds. @default {604800} (one week, as legacy nodes) */
  ttlS?: number;
  /** Most values held at once; a store beyond it is refused. @default {100000} */
  maxRecords?: number;
  /** Most bytes (msgpack-encoded values) held at once; a store beyond it is refused. @default {268435456} (256 MiB) */
  maxBytes?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Raised when a store would exceed the node's limit on values held (`unit` "values") or on bytes held ("bytes"). */
export class StorageFullError extends Error {
  override name = "StorageFullError";
  constructor(readonly limit: number, readonly unit: "values" | "bytes" = "values", readonly sizeBytes?: number) {
    super(
      unit === "values"
        ? `Cannot store the value: this node already holds its limit of ${limit} values`
        : `Cannot store the value: its ${sizeBytes} bytes would exceed this node's storage limit of ${limit} bytes`,
    );
  }
}

/**
 * The values a node holds for the network, with TTL expiry and limits on the values and bytes held. Storing the
 * same key again replaces the value and restarts its lifetime. A store beyond a limit is refused: what is held is
 * never dropped to make room.
 */
export class RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #ttlMs: number;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: RecordStoreOptions = {}) {
    this.#ttlMs = (options.ttlS ?? 604800) * 1000;
    this.#maxRecords = options.maxRecords ?? 100000;
    this.#maxBytes = options.maxBytes ?? 268435456;
    this.#now = options.now ?? runtime.now;
  }

  get size(): number {
    return this.#records.size;
  }

  /** Bytes held: the msgpack-encoded sizes of the values. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Stores or refreshes a value. @throws {StorageFullError} when it would exceed a limit; nothing changes then */
  put(key: NodeId, value: StoredValue): StoredRecord {
    const sizeBytes = encodeValue(value).length;
    // Expired values are dropped lazily: only when they stand in the way.
    let exceeded = this.#limitExceeded(key, sizeBytes);
    if (exceeded !== undefined) {
      this.expire();
      exceeded = this.#limitExceeded(key, sizeBytes);
    }
    if (exceeded === "values") throw new StorageFullError(this.#maxRecords);
    if (exceeded === "bytes") throw new StorageFullError(this.#maxBytes, "bytes", sizeBytes);
    this.#delete(key.hex);
    const record = { key, value, storedAtMs: this.#now(), sizeBytes };
    this.#records.set(key.hex, record);
    this.#bytes += sizeBytes;
    return record;
  }

  /** The live value of a key, if held. */
  get(key: NodeId): StoredValue | undefined {
    const record = this.#records.get(key.hex);
    if (record === undefined) return undefined;
    if (this.#isExpired(record)) {
      this.#delete(key.hex);
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
        this.#delete(hex);
        dropped++;
      }
    }
    return dropped;
  }

  /** Which limit storing `sizeBytes` under `key` would exceed, if any. */
  #limitExceeded(key: NodeId, sizeBytes: number): "values" | "bytes" | undefined {
    const previous = this.#records.get(key.hex);
    if (previous === undefined && this.#records.size >= this.#maxRecords) return "values";
    return this.#bytes - (previous?.sizeBytes ?? 0) + sizeBytes > this.#maxBytes ? "bytes" : undefined;
  }

  #delete(hex: string): void {
    this.#bytes -= this.#records.get(hex)?.sizeBytes ?? 0;
    this.#records.delete(hex);
  }

  #isExpired(record: StoredRecord): boolean {
    return this.#now() - record.storedAtMs >= this.#ttlMs;
  }
}
