import type { Settings } from "../../core/config/mod.ts";
import { type KademliaNode, NodeId } from "../../core/kademlia/mod.ts";
import { formatPeer } from "../../core/net/mod.ts";
import type { ContactDiagnostics } from "../../core/services/mod.ts";
import { formatTable } from "../table.ts";
import { withClient } from "./_client.ts";
import { type BucketRow, bucketRows, distanceRows, scoreOf } from "./bucket_rows.ts";
import { cell, type DiagnoseOptions, type Spread, spreadOf, spreadText, unreachableLine } from "./diagnosis.ts";
import { readClusterView } from "./local_cluster.ts";
import { legacyK, probeContacts } from "./legacy_table.ts";
import { type DiagnosisSource, inspectNode, LEGACY_NOTE, probeTimeoutMs, type RemoteNode } from "./remote_node.ts";

/** A contact as the routing-table diagnosis lists it. */
export interface ContactRow {
  id: string;
  address: string;
  /** log2 of its XOR distance from the node (0–160). */
  distanceBits: number;
  /** Seconds since the node heard from it (`null`: only heard of, or not known for a legacy node). */
  silentS: number | null;
}

/** One node's routing table, diagnosed over UDP. */
export interface NodeRoutingTable {
  scope: "node";
  address: string;
  id: string;
  source: DiagnosisSource;
  /** Said when the figures came from legacy RPCs. */
  note?: string;
  k: number;
  /** Whether k is assumed (a legacy node whose answers never hit its k). */
  kAssumed: boolean;
  contacts: number;
  buckets: BucketRow[];
  distributionScore: number;
  /** What counts as stale here. */
  staleRule: string;
  stale: number;
  staleContacts: ContactRow[];
  closest: ContactRow[];
}

/** One node of the local cluster, in the cluster's routing-table summary. */
export interface NodeTableSummary {
  name: string;
  role: string;
  address: string;
  contacts: number;
  buckets: number;
  fullBuckets: number;
  /** Mean fill of the buckets (contacts/k, 0–1). */
  fill: number;
  distributionScore: number;
  stale: number;
}

/** The routing tables of every running node of the local cluster, summed up. */
export interface ClusterRoutingTable {
  scope: "cluster";
  nodes: NodeTableSummary[];
  contacts: Spread;
  distributionScore: Spread;
  stale: number;
  unreachableHosts: string[];
}

export type RoutingTableReport = NodeRoutingTable | ClusterRoutingTable;

/** Contacts listed by name (closest, stale). */
const LISTED = 8;
/** Nodes of the cluster summary printed as text (all of them are in the JSON). */
const PRINTED = 25;

/**
 * `cqkd diagnose routing-table`: for a node (`--node`), its buckets with their fill (contacts/k), the distribution
 * score of the contacts over them, its stale contacts and its closest ones; for the local cluster, the same figures
 * per node, worst distribution first.
 */
export function diagnoseRoutingTable(options: DiagnoseOptions): Promise<RoutingTableReport> {
  const { node, settings, signal } = options;
  if (node === undefined) return clusterTables(settings);
  return withClient(settings, async (client) => nodeTable(client, await inspectNode(client, node, signal), settings));
}

async function nodeTable(client: KademliaNode, remote: RemoteNode, settings: Settings): Promise<NodeRoutingTable> {
  const { address, id } = remote;
  const row = (c: { id: string; address: string; silentS: number | null }): ContactRow => ({
    id: c.id,
    address: c.address,
    distanceBits: NodeId.fromHex(c.id).distanceTo(id).toString(2).length,
    silentS: c.silentS,
  });
  if (remote.source === "cqkd_diagnose") {
    const { table, parameters } = remote.diagnostics;
    const buckets = bucketRows(table.buckets, table.k);
    return {
      scope: "node",
      address,
      id: id.hex,
      source: remote.source,
      k: table.k,
      kAssumed: false,
      contacts: table.contacts,
      buckets,
      distributionScore: scoreOf(buckets),
      staleRule: `not heard from within the refresh interval, ${parameters.refreshIntervalS} s, or only heard of`,
      stale: table.stale,
      staleContacts: table.staleContacts.map(row),
      closest: table.closest.map(row),
    };
  }
  const { contacts } = remote.legacy;
  const { k, assumed: kAssumed } = legacyK(remote.legacy, settings.ksize);
  const buckets = distanceRows(id, contacts, k);
  const probe = await probeContacts(client, remote.legacy, { timeoutMs: probeTimeoutMs(remote) });
  const probed = contacts.length - probe.skipped;
  const listed = (c: (typeof contacts)[number]): ContactDiagnostics => ({
    id: c.id.hex,
    address: formatPeer(c),
    silentS: null,
  });
  return {
    scope: "node",
    address,
    id: id.hex,
    source: remote.source,
    note: LEGACY_NOTE,
    k,
    kAssumed,
    contacts: contacts.length,
    buckets,
    distributionScore: scoreOf(buckets),
    staleRule: `not answering a ping from this client; the ${probed} closest contacts were pinged`,
    stale: probe.silent.length,
    staleContacts: probe.silent.slice(0, LISTED).map(listed).map(row),
    closest: contacts.slice(0, LISTED).map(listed).map(row),
  };
}

async function clusterTables(settings: Settings): Promise<ClusterRoutingTable> {
  const view = await readClusterView(settings);
  const nodes = view.running().map(({ name, role, address, diagnostics: { table } }): NodeTableSummary => {
    const buckets = bucketRows(table.buckets, table.k);
    return {
      name,
      role,
      address: address ?? "",
      contacts: table.contacts,
      buckets: buckets.length,
      fullBuckets: buckets.filter((b) => b.contacts >= table.k).length,
      fill: Math.round(buckets.reduce((sum, b) => sum + Math.min(1, b.fill), 0) / buckets.length * 1000) / 1000,
      distributionScore: scoreOf(buckets),
      stale: table.stale,
    };
  });
  nodes.sort((a, b) => a.distributionScore - b.distributionScore || a.contacts - b.contacts);
  return {
    scope: "cluster",
    nodes,
    contacts: spreadOf(nodes.map((n) => n.contacts)),
    distributionScore: spreadOf(nodes.map((n) => n.distributionScore)),
    stale: nodes.reduce((sum, n) => sum + n.stale, 0),
    unreachableHosts: view.unreachable,
  };
}

/** The report as text for a person. */
export function formatRoutingTable(report: RoutingTableReport): string {
  if (report.scope === "cluster") {
    const shown = report.nodes.slice(0, PRINTED);
    return [
      `Routing tables of ${report.nodes.length} running nodes of the local cluster (worst distribution first)`,
      `contacts per node ${spreadText(report.contacts)}, distribution score ${spreadText(report.distributionScore)}, ` +
      `${report.stale} stale contacts in all`,
      ...unreachableLine(report.unreachableHosts),
      "",
      formatTable(
        ["node", "role", "address", "contacts", "buckets", "full", "fill", "score", "stale"],
        shown.map((n) => [
          n.name,
          n.role,
          n.address,
          n.contacts,
          n.buckets,
          n.fullBuckets,
          cell(n.fill, 2),
          cell(n.distributionScore, 3),
          n.stale,
        ]),
      ),
      ...(report.nodes.length > shown.length
        ? ["", `… and ${report.nodes.length - shown.length} more (all of them with --json; one in detail with --node)`]
        : []),
    ].join("\n");
  }
  return [
    `Routing table of ${report.address} (${report.id}), from ${report.source}`,
    ...(report.note ? [`Note: ${report.note}`] : []),
    `k ${report.k}${report.kAssumed ? " (assumed)" : ""}, ${report.contacts} contacts in ${report.buckets.length} ` +
    `buckets, distribution score ${cell(report.distributionScore, 3)}`,
    "",
    formatTable(
      ["#", "range", "depth", "contacts", "fill", "replacements", "idle s"],
      report.buckets.map((b, i) => [
        i,
        b.range,
        b.depth,
        b.contacts,
        cell(b.fill, 2),
        b.replacements ?? "-",
        cell(b.idleS),
      ]),
    ),
    "",
    `Stale contacts (${report.staleRule}): ${report.stale}`,
    ...(report.staleContacts.length > 0 ? [contactTable(report.staleContacts)] : []),
    "",
    "Closest contacts:",
    contactTable(report.closest),
  ].join("\n");
}

function contactTable(rows: readonly ContactRow[]): string {
  return formatTable(
    ["id", "address", "log2 distance", "silent s"],
    rows.map((c) => [c.id, c.address, c.distanceBits, cell(c.silentS)]),
  );
}
