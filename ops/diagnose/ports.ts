import type { Settings } from "../../core/config/mod.ts";
import { formatPeer, parsePeer } from "../../core/net/mod.ts";
import { formatRange } from "../../core/ports/mod.ts";
import { DEFAULT_PORT, NODE_ROLES } from "../../roles/mod.ts";
import { formatTable } from "../table.ts";
import { reach, withClient } from "./_client.ts";
import { cell, type DiagnoseOptions, unreachableLine } from "./diagnosis.ts";
import { readClusterView } from "./local_cluster.ts";

/** The worker ports of one host process. */
export interface HostPorts {
  host: string;
  /** Its slice of the worker range (`first-last`); `null` for a host without workers. */
  range: string | null;
  size: number;
  /** Ports its registry handed to nodes that run. */
  allocated: number;
  /** Ports of its range held by another process, skipped by its registry. */
  conflicts: number[];
  free: number;
  /** Joiners holding a slot on its bootstrap nodes. */
  leases: number;
}

/** The ports of the local cluster. */
export interface ClusterPortsReport {
  scope: "cluster";
  bootstrap: { range: string; nodes: number };
  alice: number;
  bob: number;
  workers: { range: string; size: number; allocated: number; conflicts: number; free: number };
  hosts: HostPorts[];
  unreachableHosts: string[];
}

/** The port of one node reached over UDP. */
export interface NodePortsReport {
  scope: "node";
  address: string;
  id: string;
  port: number;
  rttMs: number;
  /** The configured worker range (`base_port`-`max_port`) and whether the port is in it. */
  workerRange: string;
  inWorkerRange: boolean;
  /** The roles whose default port this is. */
  defaultFor: string[];
}

export type PortsReport = ClusterPortsReport | NodePortsReport;

/**
 * `cqkd diagnose ports`: for the local cluster, the bootstrap, Alice and Bob ports and, for each host process, its
 * slice of the worker range: ports allocated, conflicts (held by another process, skipped), free ports and the
 * slots leased on its bootstrap nodes; for one node, whether its port answers and where it lies.
 */
export function diagnosePorts(options: DiagnoseOptions): Promise<PortsReport> {
  const { node, settings, signal } = options;
  if (node === undefined) return clusterPorts(settings);
  return withClient(settings, async (client) => {
    const { id, rttMs } = await reach(client, node, signal);
    const range = { first: settings.base_port, last: settings.max_port };
    return {
      scope: "node",
      address: formatPeer(node),
      id,
      port: node.port,
      rttMs: Math.round(rttMs * 1000) / 1000,
      workerRange: formatRange(range),
      inWorkerRange: range.first <= node.port && node.port <= range.last,
      defaultFor: NODE_ROLES.filter((role) => DEFAULT_PORT[role] === node.port),
    };
  });
}

async function clusterPorts(settings: Settings): Promise<ClusterPortsReport> {
  const view = await readClusterView(settings);
  const { ports, shape } = view.state;
  const bootstrapCount = shape.superCount + shape.regionalCount + shape.localCount;
  const bound = view.nodes.filter((n) => (n.state === "ready" || n.state === "joining") && n.address !== undefined);
  const hosts = view.hosts.map(({ record, conflicts, leases }): HostPorts => {
    const slice = record.workerPorts;
    const size = slice === undefined ? 0 : slice.last - slice.first + 1;
    const allocated = slice === undefined ? 0 : bound.filter((n) => {
      const { port } = parsePeer(n.address!);
      return n.host === record.name && slice.first <= port && port <= slice.last;
    }).length;
    return {
      host: record.name,
      range: slice === undefined ? null : formatRange(slice),
      size,
      allocated,
      conflicts,
      free: size - allocated - conflicts.length,
      leases,
    };
  });
  const sum = (pick: (h: HostPorts) => number) => hosts.reduce((n, h) => n + pick(h), 0);
  return {
    scope: "cluster",
    bootstrap: {
      range: formatRange({ first: ports.bootstrapFirst, last: ports.bootstrapFirst + bootstrapCount - 1 }),
      nodes: bound.filter((n) => n.role.endsWith("-bootstrap")).length,
    },
    alice: ports.alice,
    bob: ports.bob,
    workers: {
      range: formatRange(ports.workers),
      size: ports.workers.last - ports.workers.first + 1,
      allocated: sum((h) => h.allocated),
      conflicts: sum((h) => h.conflicts.length),
      free: sum((h) => h.free),
    },
    hosts,
    unreachableHosts: view.unreachable,
  };
}

/** The report as text for a person. */
export function formatPorts(report: PortsReport): string {
  if (report.scope === "node") {
    return [
      `Port ${report.port} of ${report.address} (${report.id}) answers a ping in ${cell(report.rttMs, 2)} ms`,
      `It is ${report.inWorkerRange ? "inside" : "outside"} the worker range ${report.workerRange}` +
      (report.defaultFor.length > 0 ? `, and the default port of: ${report.defaultFor.join(", ")}` : ""),
    ].join("\n");
  }
  const { workers } = report;
  return [
    `Bootstrap ports ${report.bootstrap.range} (${report.bootstrap.nodes} bootstrap nodes bound), Alice ` +
    `${report.alice}, Bob ${report.bob}`,
    `Worker ports ${workers.range}: ${workers.allocated} allocated, ${workers.conflicts} held by other processes, ` +
    `${workers.free} free`,
    ...unreachableLine(report.unreachableHosts),
    "",
    formatTable(
      ["host process", "worker ports", "size", "allocated", "conflicts", "free", "bootstrap leases"],
      report.hosts.map((h) => [
        h.host,
        h.range ?? "-",
        h.size,
        h.allocated,
        h.conflicts.length === 0 ? "0" : `${h.conflicts.length} (${h.conflicts.join(", ")})`,
        h.free,
        h.leases,
      ]),
    ),
  ].join("\n");
}
