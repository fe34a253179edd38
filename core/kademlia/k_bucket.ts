import { ID_BITS, type NodeId } from "./node_id.ts";
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
