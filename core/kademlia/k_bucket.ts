import { ID_BITS, ID_SPACE, type NodeId } from "./node_id.ts";
import type { Contact } from "./contact.ts";

/** Read-only view of one bucket, for diagnostics. */
export interface BucketInfo {
  lo: bigint;
  hi: bigint;
  depth: number;
  size: number;
  replacements: number;
  lastUpdatedMs: number;
}

/**
 * Contacts in recency order (the first is the least recently seen), each with when it was last heard from. Two
 * arrays rather than a map: a bucket holds at most k, and a host process holds a thousand tables of hundreds of
 * contacts, where a map entry per contact costs several times an array slot.
 */
export class Slots {
  readonly contacts: Contact[] = [];
  /** By the index of `contacts`: when each was last heard from (as the table counts time); 0 if only heard of. */
  readonly seen: number[] = [];

  get size(): number {
    return this.contacts.length;
  }

  /** Index of the contact with id `hex`, or -1. */
  indexOf(hex: string): number {
    const contacts = this.contacts;
    for (let i = 0; i < contacts.length; i++) if (contacts[i]!.id.hex === hex) return i;
    return -1;
  }

  /** Adds a contact as the most recently seen. */
  push(contact: Contact, seen: number): void {
    this.contacts.push(contact);
    this.seen.push(seen);
  }

  /** Takes out the contact at `index`. */
  removeAt(index: number): void {
    this.contacts.splice(index, 1);
    this.seen.splice(index, 1);
  }

  /** Takes out the contact with id `hex`, if there; returns whether it was. */
  remove(hex: string): boolean {
    const index = this.indexOf(hex);
    if (index >= 0) this.removeAt(index);
    return index >= 0;
  }
}

/** One bucket: a range of the id space, its contacts by recency, and its replacement cache. */
export class KBucket {
  /** The contacts holding its slots. */
  readonly live = new Slots();
  /** Candidates for the next free slot; the last is the most recently seen. */
  readonly spare = new Slots();
  pingInFlight = false;

  constructor(readonly lo: bigint, readonly hi: bigint, public lastUpdatedMs: number) {}

  covers(id: NodeId): boolean {
    return this.lo <= id.value && id.value < this.hi;
  }

  /** Number of leading bits shared by every id in the range. */
  get depth(): number {
    return ID_BITS - (this.hi - this.lo).toString(2).length + 1;
  }
}

/** The read-only view of a bucket. */
export function bucketInfo(b: KBucket): BucketInfo {
  return {
    lo: b.lo,
    hi: b.hi,
    depth: b.depth,
    size: b.live.size,
    replacements: b.spare.size,
    lastUpdatedMs: b.lastUpdatedMs,
  };
}

/**
 * The lowest distance to `target` of any id in the bucket's range. Buckets are aligned ranges, so the distances of
 * their ids to a target form disjoint intervals, of which this is the low end.
 */
function nearestTo(bucket: KBucket, target: bigint): bigint {
  return (bucket.lo ^ target) & ~(bucket.hi - bucket.lo - 1n);
}

/**
 * The buckets in order of their nearest possible distance to `target`: their contacts come out in distance order
 * bucket by bucket. Each is picked when asked for (one or two usually hold the k closest), none sorted up front.
 */
export function* nearestFirst(buckets: readonly KBucket[], target: NodeId): Generator<KBucket> {
  const nearest = buckets.map((bucket) => nearestTo(bucket, target.value));
  for (let left = buckets.length; left > 0; left--) {
    let next = 0;
    for (let i = 1; i < nearest.length; i++) if (nearest[i]! < nearest[next]!) next = i;
    nearest[next] = ID_SPACE; // farther than any distance: visited
    yield buckets[next]!;
  }
}

/** Whether a contact other than `exclude` is closer to `target` than `distance`; wholly farther buckets are skipped. */
export function anyCloser(buckets: readonly KBucket[], target: NodeId, distance: bigint, exclude?: NodeId): boolean {
  const t = target.value;
  return buckets.some((bucket) =>
    nearestTo(bucket, t) < distance &&
    bucket.live.contacts.some((c) => (c.id.value ^ t) < distance && (exclude === undefined || !c.id.equals(exclude)))
  );
}
