import type { Contact } from "./contact.ts";
import type { NodeId } from "./node_id.ts";

/** "stalled": asked, silent for longer than the lookup waits; it may still answer, but the lookup goes on. */
type Progress = "new" | "pending" | "stalled" | "answered" | "failed";

interface Candidate {
  contact: Contact;
  distance: bigint;
  progress: Progress;
  /** Hops from the seeds: 0 for a seed, parent's hops + 1 for a contact learned from an answer. */
  hops: number;
}

/**
 * The pure state of one iterative lookup: the candidates ordered by distance to the target and what is known of
 * each. It is finished when the `k` closest candidates that did not fail (or stall) have all answered.
 */
export class LookupState {
  readonly target: NodeId;
  readonly k: number;
  readonly #byHex = new Map<string, Candidate>();
  /** The id of the node running the lookup: never a candidate. */
  readonly #self: NodeId | undefined;
  /** Sorted by distance, closest first. */
  readonly #ordered: Candidate[] = [];
  #maxHops = 0;

  constructor(target: NodeId, k: number, seeds: Iterable<Contact>, self?: NodeId) {
    this.target = target;
    this.k = k;
    this.#self = self;
    for (const seed of seeds) this.#learn(seed, 0);
  }

  /** Up to `slots` closest contacts worth querying now; they are marked pending. */
  next(slots: number): Contact[] {
    const picked: Contact[] = [];
    let live = 0;
    for (const candidate of this.#ordered) {
      if (picked.length >= slots || live >= this.k) break;
      if (candidate.progress === "failed" || candidate.progress === "stalled") continue;
      live++;
      if (candidate.progress === "new") {
        candidate.progress = "pending";
        picked.push(candidate.contact);
      }
    }
    return picked;
  }

  /** Records an answer and the contacts it named. */
  answered(contact: Contact, learned: readonly Contact[] = []): void {
    const candidate = this.#byHex.get(contact.id.hex);
    if (candidate === undefined) return;
    candidate.progress = "answered";
    this.#maxHops = Math.max(this.#maxHops, candidate.hops);
    for (const c of learned) this.#learn(c, candidate.hops + 1);
  }

  /** Records that a contact did not answer. */
  failed(contact: Contact): void {
    const candidate = this.#byHex.get(contact.id.hex);
    if (candidate !== undefined) candidate.progress = "failed";
  }

  /** Records that a pending contact is slow: the lookup stops waiting for it. Returns whether it was pending. */
  stalled(contact: Contact): boolean {
    const candidate = this.#byHex.get(contact.id.hex);
    if (candidate?.progress !== "pending") return false;
    candidate.progress = "stalled";
    return true;
  }

  /** True when the `k` closest live candidates have all answered (or no candidate is left to ask). */
  get finished(): boolean {
    let live = 0;
    for (const candidate of this.#ordered) {
      if (live >= this.k) break;
      if (candidate.progress === "failed" || candidate.progress === "stalled") continue;
      if (candidate.progress !== "answered") return false;
      live++;
    }
    return true;
  }

  /** The `k` closest contacts that answered, closest first. */
  closest(): Contact[] {
    return this.#ordered.filter((c) => c.progress === "answered").slice(0, this.k).map((c) => c.contact);
  }

  /** Contacts that failed to answer. */
  failures(): Contact[] {
    return this.#ordered.filter((c) => c.progress === "failed").map((c) => c.contact);
  }

  /** Number of contacts queried so far (answered or failed or pending). */
  get queried(): number {
    return this.#ordered.filter((c) => c.progress !== "new").length;
  }

  /** Longest chain of answers that led to a queried contact. */
  get hops(): number {
    return this.#maxHops;
  }

  #learn(contact: Contact, hops: number): void {
    if (this.#byHex.has(contact.id.hex) || this.#self?.equals(contact.id)) return;
    const candidate: Candidate = { contact, distance: contact.id.value ^ this.target.value, progress: "new", hops };
    this.#byHex.set(contact.id.hex, candidate);
    let lo = 0;
    let hi = this.#ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ordered[mid]!.distance < candidate.distance) lo = mid + 1;
      else hi = mid;
    }
    this.#ordered.splice(lo, 0, candidate);
  }
}
