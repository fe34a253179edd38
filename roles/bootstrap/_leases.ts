/** One joiner's slot: when its lease ends, and the address that holds it. */
interface Lease {
  endMs: number;
  /** `host:port` of the joiner: only it renews or releases the slot. */
  holder: string;
  /** The joiner's address host, counted against the per-source cap. */
  host: string;
}

/** What {@linkcode Leases.grant} did. */
export type GrantOutcome = "granted" | "renewed" | "source-full" | "held-elsewhere";

/**
 * Joiner slots held by a bootstrap node, each with a lease so that crashed joiners free theirs. A lease is tied to
 * the address (and in secure mode the proven id) that took it, and one address host holds at most
 * `maxPerSource` of them.
 */
export class Leases {
  /** Joiner id (hex) → its lease. Kept in grant order, which with one lease length is expiry order. */
  readonly #leases = new Map<string, Lease>();
  readonly #perHost = new Map<string, number>();
  readonly #leaseMs: number;
  readonly #maxPerSource: number;
  readonly #now: () => number;

  constructor(leaseMs: number, now: () => number, maxPerSource = Infinity) {
    this.#leaseMs = leaseMs;
    this.#now = now;
    this.#maxPerSource = maxPerSource;
  }

  /** Joiners holding a slot now. */
  get size(): number {
    this.expire();
    return this.#leases.size;
  }

  /** Ids of the joiners holding a slot now. */
  holders(): string[] {
    this.expire();
    return [...this.#leases.keys()];
  }

  /** Whether the joiner holds a slot now. */
  has(id: string): boolean {
    this.expire();
    return this.#leases.has(id);
  }

  /** Whether the joiner holds a slot taken from `from`. */
  heldBy(id: string, from: { host: string; port: number }): boolean {
    return this.has(id) && this.#leases.get(id)!.holder === holderOf(from);
  }

  /**
   * Starts or renews the joiner's lease, taken from `from`: a renewal must come from the address that holds it,
   * and a new slot needs room in the cap of `from`'s host.
   */
  grant(id: string, from: { host: string; port: number }): GrantOutcome {
    const held = this.has(id) ? this.#leases.get(id)! : undefined;
    if (held !== undefined && held.holder !== holderOf(from)) return "held-elsewhere";
    if (held === undefined && (this.#perHost.get(from.host) ?? 0) >= this.#maxPerSource) return "source-full";
    this.#remove(id);
    this.#leases.set(id, { endMs: this.#now() + this.#leaseMs, holder: holderOf(from), host: from.host });
    this.#perHost.set(from.host, (this.#perHost.get(from.host) ?? 0) + 1);
    return held === undefined ? "granted" : "renewed";
  }

  /** Frees the joiner's slot when `from` holds it; returns whether it did. */
  release(id: string, from: { host: string; port: number }): boolean {
    if (!this.heldBy(id, from)) return false;
    this.#remove(id);
    return true;
  }

  /** Frees the slots whose lease has ended: O(ended + 1), the oldest come first. */
  expire(): void {
    const now = this.#now();
    for (const [id, lease] of this.#leases) {
      if (lease.endMs > now) break;
      this.#remove(id);
    }
  }

  #remove(id: string): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) return;
    this.#leases.delete(id);
    const left = (this.#perHost.get(lease.host) ?? 1) - 1;
    if (left > 0) this.#perHost.set(lease.host, left);
    else this.#perHost.delete(lease.host);
  }
}

function holderOf(from: { host: string; port: number }): string {
  return `${from.host}:${from.port}`;
}
