/**
 * The traffic of a set of nodes, summed so that the figures of several processes add up: RPC counters, refresh
 * RPCs, and the round trips of the nodes' last answered RPCs as a log-scale histogram (percentiles of a merged
 * histogram are close to those of all the samples; percentiles of percentiles are not).
 */
import type { AdminNode } from "../admin/mod.ts";

/** Histogram edges: bucket i holds round trips up to `BUCKET_BASE_MS · 2^(i/4)` ms (0.05 ms … about 3 min). */
const BUCKET_BASE_MS = 0.05;
const BUCKETS_PER_DOUBLING = 4;
export const LATENCY_BUCKETS = 88;

/** What the nodes of one process (or of several, summed) sent and how long their answers took. */
export interface TrafficTotals {
  nodes: number;
  requestsOut: number;
  timeouts: number;
  /** Requests sent by the adaptive refresh. */
  refreshRpcs: number;
  /** Counts of recent round trips per log-scale bucket ({@linkcode LATENCY_BUCKETS} long). */
  latency: number[];
}

/** Percentiles of the merged round trips, in milliseconds (upper edges of the buckets). */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export function emptyTotals(): TrafficTotals {
  return { nodes: 0, requestsOut: 0, timeouts: 0, refreshRpcs: 0, latency: new Array(LATENCY_BUCKETS).fill(0) };
}

function bucketOf(ms: number): number {
  if (ms <= BUCKET_BASE_MS) return 0;
  const index = Math.ceil(Math.log2(ms / BUCKET_BASE_MS) * BUCKETS_PER_DOUBLING);
  return Math.min(LATENCY_BUCKETS - 1, index);
}

function upperEdgeMs(bucket: number): number {
  return BUCKET_BASE_MS * 2 ** (bucket / BUCKETS_PER_DOUBLING);
}

/** The traffic of the nodes of this process. */
export function processTraffic(entries: Iterable<AdminNode>): TrafficTotals {
  const totals = emptyTotals();
  for (const { node } of entries) {
    const { stats } = node.transport;
    totals.nodes++;
    totals.requestsOut += stats.requestsOut;
    totals.timeouts += stats.timeouts;
    totals.refreshRpcs += stats.requestsByPurpose.refresh ?? 0;
    for (const ms of node.transport.latency.samples()) totals.latency[bucketOf(ms)]!++;
  }
  return totals;
}

/** Adds `more` into `into` (a process's totals into the cluster's). Malformed input counts as nothing. */
export function addTotals(into: TrafficTotals, more: TrafficTotals): TrafficTotals {
  into.nodes += more.nodes;
  into.requestsOut += more.requestsOut;
  into.timeouts += more.timeouts;
  into.refreshRpcs += more.refreshRpcs;
  more.latency.forEach((n, i) => {
    if (i < LATENCY_BUCKETS && Number.isFinite(n)) into.latency[i]! += n;
  });
  return into;
}

/** p50, p90 and p99 of a latency histogram (0 when it is empty). */
export function latencyOf(histogram: readonly number[]): LatencySummary {
  const samples = histogram.reduce((a, b) => a + b, 0);
  const at = (q: number) => {
    if (samples === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * samples));
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i]!;
      if (seen >= rank) return Math.round(upperEdgeMs(i) * 100) / 100;
    }
    return Math.round(upperEdgeMs(histogram.length - 1) * 100) / 100;
  };
  return { samples, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99) };
}
