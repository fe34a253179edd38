import type { TransportStats } from "../net/mod.ts";

/** What the metrics read of one node at a scrape; a `KademliaNode` is one. */
export interface ObservedNode {
  readonly id: { readonly hex: string };
  readonly role: string;
  /** Lookup parallelism in force. */
  readonly alpha: number;
  /** RPC timeout in force. */
  readonly rpcTimeoutMs: number;
  /** Bucket refresh interval in force, for nodes that expose it. */
  readonly refreshIntervalS?: number;
  readonly table: {
    readonly size: number;
    readonly k: number;
    buckets(): ReadonlyArray<{ readonly size: number }>;
  };
}

/**
 * The nodes of a process, read by {@linkcode CqkdMetrics} at every scrape; a `NodeHost` is one. A process that runs
 * a single node passes `{ nodes: () => [node], stats: () => node.transport.stats }`.
 */
export interface MetricsSource {
  nodes(): Iterable<ObservedNode>;
  /** Transport counters summed over the nodes. They are exported as counters, so they should never go down. */
  stats(): TransportStats;
}

/** The Kademlia parameters in force over the nodes of one role: means, as nodes of a role may adapt apart. */
export interface RoleSummary {
  nodes: number;
  alpha: number;
  k: number;
  rpcTimeoutS: number;
  /** Absent when no node of the role reports its refresh interval. */
  refreshIntervalS?: number;
}

/** How full the k-buckets of a set of nodes are. */
export interface BucketFill {
  empty: number;
  partial: number;
  full: number;
}

/** One pass over the nodes of a process: what the state gauges show. */
export interface NodesSummary {
  byRole: Map<string, RoleSummary>;
  /** Routing-table size of each node, by node id (hex). */
  contacts: Map<string, number>;
  buckets: BucketFill;
}

interface RoleSums {
  nodes: number;
  alpha: number;
  k: number;
  timeoutMs: number;
  refreshS: number;
  /** Nodes that reported a refresh interval. */
  refreshing: number;
}

/** Aggregates the nodes of a process by role and bucket fill, in one pass. */
export function summarizeNodes(nodes: Iterable<ObservedNode>): NodesSummary {
  const sums = new Map<string, RoleSums>();
  const contacts = new Map<string, number>();
  const buckets: BucketFill = { empty: 0, partial: 0, full: 0 };
  for (const node of nodes) {
    let sum = sums.get(node.role);
    if (sum === undefined) {
      sums.set(node.role, sum = { nodes: 0, alpha: 0, k: 0, timeoutMs: 0, refreshS: 0, refreshing: 0 });
    }
    const k = node.table.k;
    sum.nodes++;
    sum.alpha += node.alpha;
    sum.k += k;
    sum.timeoutMs += node.rpcTimeoutMs;
    if (node.refreshIntervalS !== undefined) {
      sum.refreshS += node.refreshIntervalS;
      sum.refreshing++;
    }
    contacts.set(node.id.hex, node.table.size);
    for (const { size } of node.table.buckets()) {
      if (size === 0) buckets.empty++;
      else if (size < k) buckets.partial++;
      else buckets.full++;
    }
  }
  const byRole = new Map<string, RoleSummary>();
  for (const [role, sum] of sums) {
    const summary: RoleSummary = {
      nodes: sum.nodes,
      alpha: sum.alpha / sum.nodes,
      k: sum.k / sum.nodes,
      rpcTimeoutS: sum.timeoutMs / sum.nodes / 1000,
    };
    if (sum.refreshing > 0) summary.refreshIntervalS = sum.refreshS / sum.refreshing;
    byRole.set(role, summary);
  }
  return { byRole, contacts, buckets };
}
