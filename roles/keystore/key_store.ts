/**
 * The one place where agreed key material lives on a node: Alice and Bob put each confirmed key here under an id both
 * sides agreed on, and key delivery (the KME) takes it out. Nothing else holds a copy; reports carry lengths only.
 *
 * Each key is taken at most once per consumer side and is zeroed when removed, so a delivered key cannot be read back.
 */

/** A confirmed key, as Alice and Bob each hold it. */
export interface StoredKey {
  /** Key id agreed by Alice and Bob (a UUID), the same on both sides. */
  readonly id: string;
  /** The session that produced it. */
  readonly sessionId: string;
  /** The key, packed (first bit in the most significant place of byte 0). */
  readonly bytes: Uint8Array;
  /** Key length in bits (≤ bytes.length · 8). */
  readonly bitLength: number;
  /** Epoch milliseconds when the key was stored. */
  readonly storedAt: number;
}

/** Raised when a key id is stored twice. */
export class DuplicateKeyError extends Error {
  override name = "DuplicateKeyError";
}

/** Raised when the store is full: the producer must wait for consumers. */
export class KeyStoreFullError extends Error {
  override name = "KeyStoreFullError";
}

/** Options of {@linkcode KeyStore}. */
export interface KeyStoreOptions {
  /** Most bits the store holds; a put beyond it is refused. @default {16_777_216} */
  maxBits?: number;
}

/** Listener called after every put and take with the store's new totals. */
export type KeyStoreListener = (totals: { keys: number; bits: number }) => void;

/**
 * Keys in memory, in the order they were stored.
 *
 * @example
 * ```ts
 * import { KeyStore } from "./key_store.ts";
 * const store = new KeyStore();
 * store.put({ id: "9b1c…", sessionId: "s1", bytes: new Uint8Array(32), bitLength: 256, storedAt: 0 });
 * const key = store.take("9b1c…");
 * console.assert(key?.bitLength === 256 && store.take("9b1c…") === undefined);
 * ```
 */
export class KeyStore {
  readonly #keys = new Map<string, StoredKey>();
  readonly #maxBits: number;
  readonly #listeners = new Set<KeyStoreListener>();
  #bits = 0;

  constructor(options: KeyStoreOptions = {}) {
    this.#maxBits = options.maxBits ?? 16_777_216;
  }

  /** Keys held. */
  get size(): number {
    return this.#keys.size;
  }

  /** Bits held. */
  get bits(): number {
    return this.#bits;
  }

  /** Most bits held at once. */
  get capacityBits(): number {
    return this.#maxBits;
  }

  /** Stores a key. @throws {DuplicateKeyError} @throws {KeyStoreFullError} @throws {RangeError} on a bad length */
  put(key: StoredKey): void {
    if (!Number.isInteger(key.bitLength) || key.bitLength < 1 || key.bitLength > key.bytes.length * 8) {
      throw new RangeError(`Key ${key.id}: bit length ${key.bitLength} does not fit ${key.bytes.length} bytes`);
    }
    if (this.#keys.has(key.id)) throw new DuplicateKeyError(`Key ${key.id} is stored already`);
    if (this.#bits + key.bitLength > this.#maxBits) {
      throw new KeyStoreFullError(`The key store is full (${this.#bits} of ${this.#maxBits} bits)`);
    }
    this.#keys.set(key.id, key);
    this.#bits += key.bitLength;
    this.#notify();
  }

  /** Whether a key is held. */
  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Removes and returns a key; the caller owns the bytes and the store keeps no copy. */
  take(id: string): StoredKey | undefined {
    const key = this.#keys.get(id);
    if (key === undefined) return undefined;
    this.#keys.delete(id);
    this.#bits -= key.bitLength;
    this.#notify();
    return key;
  }

  /** Ids of the keys held, oldest first (no key material); only those of `bitLength` bits when given. */
  ids(bitLength?: number): string[] {
    if (bitLength === undefined) return [...this.#keys.keys()];
    return [...this.#keys.values()].filter((key) => key.bitLength === bitLength).map((key) => key.id);
  }

  /** Zeroes and drops a key without handing it out. */
  erase(id: string): boolean {
    const key = this.take(id);
    key?.bytes.fill(0);
    return key !== undefined;
  }

  /** Zeroes and drops every key. */
  clear(): void {
    for (const id of this.ids()) this.erase(id);
  }

  /** Calls `listener` after each change; returns the function that unsubscribes it. */
  subscribe(listener: KeyStoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener({ keys: this.#keys.size, bits: this.#bits });
  }
}
