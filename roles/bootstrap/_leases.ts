/** Joiner slots held by a bootstrap node, each with a lease so that crashed joiners free theirs. */
export class Leases {
  /** Joiner id (hex) → when its lease ends (ms). */
  readonly #ends = new Map<string, number>();
  readonly #leaseMs: number;
  readonly #now: () => number;

  constructor(leaseMs: number, now: () => number) {
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  /** Joiners holding a slot now. */
  get size(): number {
    this.expire();
    return this.#ends.size;
  }

  /** Ids of the joiners holding a slot now. */
  holders(): string[] {
    this.expire();
    return [...this.#ends.keys()];
  }

  /** Whether the joiner holds a slot now. */
  has(id: string): boolean {
    this.expire();
    return this.#ends.has(id);
  }

  /** Starts or renews the joiner's lease; true when the slot is new. */
  grant(id: string): boolean {
    const isNew = !this.has(id);
    this.#ends.set(id, this.#now() + this.#leaseMs);
    return isNew;
  }

  /** Frees the joiner's slot, if it holds one. */
  release(id: string): void {
    this.#ends.delete(id);
  }

  /** Frees the slots whose lease has ended. */
  expire(): void {
    const now = this.#now();
    for (const [id, end] of this.#ends) if (end <= now) this.#ends.delete(id);
  }
}
