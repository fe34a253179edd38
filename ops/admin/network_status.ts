import { distributionScore } from "../../core/adaptive/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";

/** One contact as the legacy API lists it. */
export interface LegacyContact {
  id: string;
  ip: string;
  port: number;
}

/** The legacy `GET /network-status` answer: field names and shape as the legacy nodes serve them. */
export interface LegacyNetworkStatus {
  node_id: string;
  routing_table: {
    total_nodes: number;
    active_buckets: number;
    total_buckets: number;
    bucket_capacity: number;
    buckets_detail: Array<{ bucket_index: number; node_count: number; depth: number; nodes: LegacyContact[] }>;
    all_nodes: LegacyContact[];
    /** Contacts per non-empty bucket, by bucket index. */
    bucket_distribution: Record<string, number>;
    network_health: { well_distributed: boolean; single_bucket_overload: boolean; distribution_score: number };
  };
  network_metrics: {
    total_nodes: number;
    active_buckets: number;
    capacity_usage_percentage: number;
    network_health: "healthy" | "degraded" | "isolated";
    discovery_ready: boolean;
  };
}

/** Above this share of all contacts in one bucket, the table is called overloaded (the legacy rule). */
const OVERLOAD_SHARE = 0.5;

/**
 * The legacy network status of a node, from its routing table. The distribution score is the evenness of the
 * contacts over the non-empty buckets ({@linkcode distributionScore}).
 */
export function networkStatus(node: KademliaNode): LegacyNetworkStatus {
  const { table } = node;
  const buckets = table.buckets();
  const contacts = table.contacts();
  const byBucket = buckets.map(() => [] as LegacyContact[]);
  for (const contact of contacts) {
    const index = buckets.findIndex((b) => b.lo <= contact.id.value && contact.id.value < b.hi);
    byBucket[index]?.push({ id: contact.id.hex, ip: contact.host, port: contact.port });
  }
  const total = contacts.length;
  const active = byBucket.filter((list) => list.length > 0);
  const distribution = Object.fromEntries(
    byBucket.flatMap((list, index) => list.length > 0 ? [[String(index), list.length]] : []),
  );
  const score = distributionScore(active.map((list) => list.length));
  const overload = total > 0 && Math.max(...active.map((list) => list.length)) / total > OVERLOAD_SHARE &&
    active.length > 1;
  const capacity = buckets.length * table.k;
  return {
    node_id: node.id.hex,
    routing_table: {
      total_nodes: total,
      active_buckets: active.length,
      total_buckets: buckets.length,
      bucket_capacity: table.k,
      buckets_detail: buckets.map((bucket, index) => ({
        bucket_index: index,
        node_count: byBucket[index]!.length,
        depth: bucket.depth,
        nodes: byBucket[index]!,
      })),
      all_nodes: byBucket.flat(),
      bucket_distribution: distribution,
      network_health: {
        well_distributed: active.length > 1 && !overload && score >= 0.5,
        single_bucket_overload: overload,
        distribution_score: Math.round(score * 1000) / 1000,
      },
    },
    network_metrics: {
      total_nodes: total,
      active_buckets: active.length,
      capacity_usage_percentage: capacity === 0 ? 0 : Math.round((total / capacity) * 10000) / 100,
      network_health: total === 0 ? "isolated" : active.length > 1 && !overload ? "healthy" : "degraded",
      discovery_ready: total >= Math.min(table.k, 3),
    },
  };
}
