import type { RoutingTable } from "../kademlia/mod.ts";
import { runtime } from "../runtime/mod.ts";

/** A routing table's shape and freshness, as {@linkcode analyzeRoutingTable} reports it. */
export interface RoutingTableAnalysis {
  contacts: number;
  buckets: number;
  /** Buckets holding k contacts. */
  fullBuckets: number;
  /** Contacts waiting in replacement caches. */
  replacements: number;
  /** Contacts per bucket, lowest range first. */
  distribution: number[];
  /** Mean share of k used by the buckets (0..1). */
  fill: number;
  /** Contacts not heard from for `staleAfterMs` (or only heard of). */
  staleContacts: number;
  /** Buckets without traffic for `staleAfterMs`. */
  staleBuckets: number;
}

/**
 * Describes a routing table: how contacts spread over buckets, how full they are, and how many contacts and
 * buckets have not been heard from for `staleAfterMs`.
 */
export function analyzeRoutingTable(
  table: RoutingTable,
  staleAfterMs: number,
  now: () => number = runtime.now,
): RoutingTableAnalysis {
  const buckets = table.buckets();
  const limit = now() - staleAfterMs;
  const distribution = buckets.map((b) => b.size);
  return {
    contacts: table.size,
    buckets: buckets.length,
    fullBuckets: buckets.filter((b) => b.size >= table.k).length,
    replacements: buckets.reduce((n, b) => n + b.replacements, 0),
    distribution,
    fill: distribution.reduce((n, size) => n + Math.min(1, size / table.k), 0) / buckets.length,
    staleContacts: table.contacts().filter((c) => (table.lastSeenMs(c.id) ?? 0) <= limit).length,
    staleBuckets: buckets.filter((b) => b.lastUpdatedMs <= limit).length,
  };
}

/**
 * How evenly contacts spread over the non-empty buckets: the Shannon entropy of the counts over its maximum (the
 * log of their number), 0–1; 1 when a single bucket holds them all and there is nothing to spread (the legacy
 * `/network-status` distribution score).
 */
export function distributionScore(counts: readonly number[]): number {
  const active = counts.filter((n) => n > 0);
  if (active.length <= 1) return 1;
  const total = active.reduce((a, b) => a + b, 0);
  const entropy = active.reduce((sum, n) => sum - (n / total) * Math.log(n / total), 0);
  return entropy / Math.log(active.length);
}
