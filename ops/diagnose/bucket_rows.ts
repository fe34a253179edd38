import { distributionScore } from "../../core/adaptive/mod.ts";
import { type Contact, ID_BITS, type NodeId } from "../../core/kademlia/mod.ts";
import type { BucketDiagnostics } from "../../core/services/mod.ts";

/** One bucket of a routing table as the diagnosis prints it. */
export interface BucketRow {
  /** The ids it covers: a prefix of bits (`01…`), or for a rebuilt legacy table the XOR distance from the node. */
  range: string;
  /** Leading bits its ids share with the range's low end (with the node's id, for a legacy table). */
  depth: number;
  contacts: number;
  /** contacts / k. */
  fill: number;
  /** Replacement-cache entries and seconds since the bucket last changed; `null` when not known (legacy). */
  replacements: number | null;
  idleS: number | null;
}

/** Longest prefix written out in bits; deeper ones are written in hex. */
const MAX_BIT_PREFIX = 24;

/** The rows of a cqkd node's buckets, as its diagnosis reports them. */
export function bucketRows(buckets: readonly BucketDiagnostics[], k: number): BucketRow[] {
  return buckets.map((b) => ({
    range: prefixOf(b),
    depth: b.depth,
    contacts: b.contacts,
    fill: fillOf(b.contacts, k),
    replacements: b.replacements,
    idleS: b.idleS,
  }));
}

/**
 * The rows of a routing table known only by its contacts (a legacy node's, rebuilt): one per XOR distance class
 * 2^i..2^(i+1) from the node's id that holds contacts, farthest first — the classic k-buckets.
 */
export function distanceRows(self: NodeId, contacts: readonly Contact[], k: number): BucketRow[] {
  const byBit = new Map<number, number>();
  for (const contact of contacts) {
    const bit = contact.id.distanceTo(self).toString(2).length - 1;
    byBit.set(bit, (byBit.get(bit) ?? 0) + 1);
  }
  return [...byBit].sort(([a], [b]) => b - a).map(([bit, count]) => ({
    range: `2^${bit}`,
    depth: ID_BITS - 1 - bit,
    contacts: count,
    fill: fillOf(count, k),
    replacements: null,
    idleS: null,
  }));
}

/** The distribution score (0–1) of the rows' contacts over the non-empty buckets. */
export function scoreOf(rows: readonly BucketRow[]): number {
  return Math.round(distributionScore(rows.map((r) => r.contacts)) * 1000) / 1000;
}

function fillOf(contacts: number, k: number): number {
  return Math.round(contacts / k * 1000) / 1000;
}

function prefixOf({ prefix, depth }: BucketDiagnostics): string {
  if (depth === 0) return "*";
  if (depth > MAX_BIT_PREFIX) return `0x${prefix}…`;
  const bits = [...prefix].map((digit) => parseInt(digit, 16).toString(2).padStart(4, "0")).join("");
  return `${bits.slice(0, depth)}…`;
}
