/**
 * A bounded map in two generations: new entries go to the young one; when it is full the old generation is
 * dropped whole and the young one takes its place. Every operation is O(1). (Evicting the oldest entry of one Map
 * through `keys().next()` is not: V8 scans the deleted slots at the front each time.)
 */
export class GenerationalMap<K, V> {
  readonly #generationSize: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  /** @param limit most entries held; the oldest half is dropped at once when it is reached */
  constructor(limit: number) {
    if (!(limit >= 2)) throw new RangeError(`Cannot bound a map to ${limit} entries: the limit must be >= 2`);
    this.#generationSize = Math.floor(limit / 2);
  }

  /** Entries held (a key is in one generation at most). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The value of `key`; an entry of the old generation moves to the young one. */
  get(key: K): V | undefined {
    const value = this.#young.get(key);
    if (value !== undefined || !this.#old.has(key)) return value;
    const promoted = this.#old.get(key)!;
    this.#old.delete(key);
    this.set(key, promoted);
    return promoted;
  }

  set(key: K, value: V): void {
    this.#old.delete(key);
    if (!this.#young.has(key) && this.#young.size >= this.#generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
