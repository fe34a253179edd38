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
  /** Who stored it last (a sender's address host), counted against that source's quota; absent for this node. */
  readonly source?: string;
}

/** Options of {@linkcode RecordStore}. */
export interface RecordStoreOptions {
  /** Lifetime of a value after it was last stored, in seconds. @default {604800} (one week, as legacy nodes) */
  ttlS?: number;
  /** Most values held at once; a store beyond it is refused. @default {100000} */
  maxRecords?: number;
  /** Most bytes (msgpack-encoded values) held at once; a store beyond it is refused. @default {268435456} (256 MiB) */
  maxBytes?: number;
  /**
   * Most values held for one source (the address host that stored them): one sender cannot fill the node for the
   * whole TTL. @default the larger of 1000 and a tenth of maxRecords
   */
  maxRecordsPerSource?: number;
  /** Most bytes held for one source. @default the larger of 16 MiB and a tenth of maxBytes */
  maxBytesPerSource?: number;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** Raised when a store would exceed the node's limit on values held (`unit` "values") or on bytes held ("bytes"). */
export class StorageFullError extends Error {
  override name = "StorageFullError";
  constructor(
    readonly limit: number,
    readonly unit: "values" | "bytes" = "values",
    readonly sizeBytes?: number,
    /** Set when the limit is the quota of this source rather than the node's. */
    readonly source?: string,
  ) {
    super(
      source !== undefined
        ? `Cannot store the value: ${source} reached its quota of ${limit} ${unit} on this node`
        : unit === "values"
        ? `Cannot store the value: this node already holds its limit of ${limit} values`
        : `Cannot store the value: its ${sizeBytes} bytes would exceed this node's storage limit of ${limit} bytes`,
    );
  }
}

interface SourceUsage {
  records: number;
  bytes: number;
}

/**
 * The values a node holds for the network, with TTL expiry, limits on the values and bytes held, and the same
 * limits per source. Storing the same key again replaces the value and restarts its lifetime. A store beyond a
 * limit is refused: what is held is never dropped to make room.
 *
 * The map is kept in store order (a store moves its key to the end), which with one TTL for all is expiry order:
 * expiring looks only at the expired head, never at the whole store, so a full store costs a refused write O(1).
 */
export class RecordStore {
  readonly #records = new Map<string, StoredRecord>();
  readonly #sources = new Map<string, SourceUsage>();
  readonly #ttlMs: number;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #maxRecordsPerSource: number;
  readonly #maxBytesPerSource: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: RecordStoreOptions = {}) {
    this.#ttlMs = (options.ttlS ?? 604800) * 1000;
    this.#maxRecords = options.maxRecords ?? 100000;
    this.#maxBytes = options.maxBytes ?? 268435456;
    this.#maxRecordsPerSource = options.maxRecordsPerSource ?? Math.max(1000, Math.floor(this.#maxRecords / 10));
    this.#maxBytesPerSource = options.maxBytesPerSource ?? Math.max(16 * 2 ** 20, Math.floor(this.#maxBytes / 10));
    this.#now = options.now ?? runtime.now;
  }

  get size(): number {
    return this.#records.size;
  }

  /** Bytes held: the msgpack-encoded sizes of the values. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Stores or refreshes a value, stored by `source` (a sender's address host; none for this node's own writes).
   * @throws {StorageFullError} when it would exceed a limit of the node or of the source; nothing changes then
   */
  put(key: NodeId, value: StoredValue, source?: string): StoredRecord {
    const sizeBytes = encodeValue(value).length;
    // Expired values are dropped lazily: only when they stand in the way (and only the expired head is looked at).
    if (this.#limitExceeded(key, sizeBytes, source) !== undefined) this.expire();
    const exceeded = this.#limitExceeded(key, sizeBytes, source);
    if (exceeded === "values") throw new StorageFullError(this.#maxRecords);
    if (exceeded === "bytes") throw new StorageFullError(this.#maxBytes, "bytes", sizeBytes);
    if (exceeded === "source values") {
      throw new StorageFullError(this.#maxRecordsPerSource, "values", sizeBytes, source);
    }
    if (exceeded === "source bytes") throw new StorageFullError(this.#maxBytesPerSource, "bytes", sizeBytes, source);
    this.#delete(key.hex);
    const record = { key, value, storedAtMs: this.#now(), sizeBytes, ...(source === undefined ? {} : { source }) };
    this.#records.set(key.hex, record);
    this.#bytes += sizeBytes;
    if (source !== undefined) {
      const usage = this.#sources.get(source) ?? { records: 0, bytes: 0 };
      usage.records++;
      usage.bytes += sizeBytes;
      this.#sources.set(source, usage);
    }
    return record;
  }

  /** Forgets a key's value; returns whether one was held. */
  delete(key: NodeId): boolean {
    return this.#delete(key.hex);
  }

  /** Values and bytes held for `source`. */
  usageOf(source: string): Readonly<SourceUsage> {
    return { ...(this.#sources.get(source) ?? { records: 0, bytes: 0 }) };
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

  /** Every live record. O(n): for tests and reports; the node walks {@linkcode RecordStore.live} in slices. */
  records(): StoredRecord[] {
    return [...this.live()];
  }

  /** The live records, lazily, in store order (records stored while it runs come last). */
  *live(): Generator<StoredRecord> {
    for (const record of this.#records.values()) if (!this.#isExpired(record)) yield record;
  }

  /** Drops expired values; returns how many. Costs O(expired + 1): the oldest come first. */
  expire(): number {
    let dropped = 0;
    for (const [hex, record] of this.#records) {
      if (!this.#isExpired(record)) break;
      this.#delete(hex);
      dropped++;
    }
    return dropped;
  }

  /** Which limit storing `sizeBytes` under `key` for `source` would exceed, if any. */
  #limitExceeded(
    key: NodeId,
    sizeBytes: number,
    source: string | undefined,
  ): "values" | "bytes" | "source values" | "source bytes" | undefined {
    const previous = this.#records.get(key.hex);
    if (previous === undefined && this.#records.size >= this.#maxRecords) return "values";
    if (this.#bytes - (previous?.sizeBytes ?? 0) + sizeBytes > this.#maxBytes) return "bytes";
    if (source === undefined) return undefined;
    const usage = this.#sources.get(source) ?? { records: 0, bytes: 0 };
    const own = previous?.source === source ? previous : undefined;
    if (own === undefined && usage.records >= this.#maxRecordsPerSource) return "source values";
    return usage.bytes - (own?.sizeBytes ?? 0) + sizeBytes > this.#maxBytesPerSource ? "source bytes" : undefined;
  }

  #delete(hex: string): boolean {
    const record = this.#records.get(hex);
    if (record === undefined) return false;
    this.#bytes -= record.sizeBytes;
    this.#records.delete(hex);
    if (record.source !== undefined) {
      const usage = this.#sources.get(record.source)!;
      usage.records--;
      usage.bytes -= record.sizeBytes;
      if (usage.records === 0) this.#sources.delete(record.source);
    }
    return true;
  }

  #isExpired(record: StoredRecord): boolean {
    return this.#now() - record.storedAtMs >= this.#ttlMs;
  }
}
