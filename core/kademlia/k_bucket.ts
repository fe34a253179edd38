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

/** One bucket: a range of the id space, its contacts by recency, and its replacement cache. */
export class KBucket {
  /** Insertion order is recency: the first entry is the least recently seen. */
  readonly contacts = new Map<string, Contact>();
  /** Candidates for the next free slot; the last entry is the most recently seen. */
  readonly replacements = new Map<string, Contact>();
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
    size: b.contacts.size,
    replacements: b.replacements.size,
    lastUpdatedMs: b.lastUpdatedMs,
  };
}
