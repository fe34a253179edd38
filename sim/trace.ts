/** A running 64-bit hash (two 32-bit FNV-1a-style lanes) over the numbers that describe each simulated event. */
export class TraceHash {
  #lo = 0x811c9dc5;
  #hi = 0x01000193;

  /** Mixes one number (an integer, or a time in ms kept to the microsecond) into the hash. */
  add(value: number): void {
    const x = Number.isInteger(value) ? value : Math.round(value * 1000);
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    this.#lo = Math.imul(this.#lo ^ lo, 0x01000193) >>> 0;
    this.#hi = Math.imul(this.#hi ^ hi ^ (this.#lo >>> 7), 0x5bd1e995) >>> 0;
  }

  /** The hash as 16 hex digits. */
  hex(): string {
    return this.#hi.toString(16).padStart(8, "0") + this.#lo.toString(16).padStart(8, "0");
  }
}
