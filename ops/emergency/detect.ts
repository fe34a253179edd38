import type { Settings } from "../../core/config/mod.ts";
import type { RunningCluster } from "../cluster/cluster.ts";
import { clusterClient } from "../verify.ts";
import { type ClusterNode, clusterPlan, onEveryHost, openCluster, plannedNodes, readTables } from "./_cluster_ops.ts";
import { analyzeScan, type ClusterScan, DEFAULT_THRESHOLDS, type ScannedHost, type Thresholds } from "./analysis.ts";
import type { Finding } from "./finding.ts";
import { probeNodes, type ProbeOptions } from "./probe.ts";

/** Options of {@linkcode detectIssues}. */
export interface DetectOptions {
  /** Limits of latency and loss. @default {DEFAULT_THRESHOLDS} (500 ms, 5 %) */
  thresholds?: Partial<Thresholds>;
  /** How the nodes are probed over UDP. */
  probe?: ProbeOptions;
}

/** What `cqkd emergency detect` found, and how much it looked at. */
export interface DetectReport {
  findings: Finding[];
  scanned: { hosts: number; nodes: number; probes: number; tables: number; seconds: number };
}

/**
 * `cqkd emergency detect` (docs/operations.md#emergency): scans the local cluster — host processes, every
 * node's state against the plan, UDP probes of every ready node from a client node, every ready node's routing
 * table, the nodes' RPC counters over the scan — and reports what it found, with the procedure each problem
 * calls for ({@linkcode analyzeScan}).
 * @throws {CommandError} when no cluster is recorded
 */
export async function detectIssues(settings: Settings, options: DetectOptions = {}): Promise<DetectReport> {
  const started = performance.now();
  const cluster = await openCluster(settings);
  const before = await cluster.nodes();
  const ready = before.nodes.filter((n) => n.state === "ready" && n.address !== undefined);
  const client = await clusterClient(settings, cluster.state);
  let probes;
  try {
    probes = await probeNodes(client, ready.map((n) => ({ name: n.name, address: n.address! })), options.probe);
  } finally {
    await client.stop();
  }
  // Hosts that did not answer the first time are not asked again: each would cost a full request timeout.
  const tables = await readTables(cluster, before.unreachable);
  const after = await onEveryHost(
    cluster,
    (client) => client.call((api, o) => api.nodes.$get({}, o)),
    before.unreachable,
  );
  const scan: ClusterScan = {
    hosts: scannedHosts(cluster, before.unreachable),
    planned: plannedNodes(clusterPlan(cluster, settings)),
    nodes: after.nodes,
    probes,
    tables,
    rpcWindow: rpcWindow(before.nodes, after.nodes),
    isolated: cluster.state.isolated ?? [],
  };
  return {
    findings: analyzeScan(scan, { ...DEFAULT_THRESHOLDS, ...options.thresholds }),
    scanned: {
      hosts: cluster.clients.length,
      nodes: after.nodes.length,
      probes: probes.reduce((sum, p) => sum + p.sent, 0),
      tables: tables.length,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

function scannedHosts(cluster: RunningCluster, unreachable: readonly string[]): ScannedHost[] {
  const alive = new Set(cluster.alive().map((c) => c.record.name));
  return cluster.clients.map(({ record: { name, pid } }) => ({
    name,
    pid,
    alive: alive.has(name),
    answering: !unreachable.includes(name),
  }));
}

/** RPCs sent and unanswered between two snapshots, over the nodes in both (same id: not restarted meanwhile). */
function rpcWindow(before: readonly ClusterNode[], after: readonly ClusterNode[]): ClusterScan["rpcWindow"] {
  const earlier = new Map(before.map((n) => [n.id, n.rpc]));
  let requestsOut = 0, timeouts = 0;
  for (const node of after) {
    const then = earlier.get(node.id);
    if (then === undefined || node.rpc === undefined) continue;
    requestsOut += node.rpc.requestsOut - then.requestsOut;
    timeouts += node.rpc.timeouts - then.timeouts;
  }
  return { requestsOut, timeouts };
}
