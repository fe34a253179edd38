import { NetworkSizeEstimator } from "../../core/adaptive/mod.ts";
import type { Settings } from "../../core/config/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { formatPeer, parsePeer } from "../../core/net/mod.ts";
import { expectedByStep, STEP_ROLES } from "../cluster/cluster.ts";
import { formatTable } from "../table.ts";
import { pingEach, withClient } from "./_client.ts";
import { cell, type DiagnoseOptions, type Spread, spreadOf, spreadText, unreachableLine } from "./diagnosis.ts";
import { legacyK, probeContacts } from "./legacy_table.ts";
import { readClusterView } from "./local_cluster.ts";
import { type DiagnosisSource, inspectNode, LEGACY_NOTE, probeTimeoutMs, type RemoteNode } from "./remote_node.ts";

/** One node diagnosed over UDP: whether it and its contacts answer, and the network it sees. */
export interface NodeNetwork {
  scope: "node";
  address: string;
  id: string;
  /** Its role, when it says (`cqkd_diagnose`). */
  role: string | null;
  source: DiagnosisSource;
  note?: string;
  rttMs: number;
  contacts: number;
  /** The network size it estimates (from the density of ids around it, for a legacy node). */
  estimatedSize: number;
  /** Contacts pinged from this client (its closest ones), and those that did not answer. */
  contactsPinged: number;
  silentContacts: string[];
}

/** One startup tier of the local cluster. */
export interface TierRow {
  tier: string;
  expected: number;
  ready: number;
  /** Ready nodes that answered a ping from this client over UDP. */
  reachable: number;
  contacts: Spread;
}

/** The local cluster: its host processes, tiers, reachability and the network size its nodes estimate. */
export interface ClusterNetwork {
  scope: "cluster";
  hosts: { total: number; unreachable: string[] };
  tiers: TierRow[];
  nodes: { expected: number; ready: number; reachable: number };
  /** The nodes' estimates of the network size. */
  estimatedSize: Spread;
  /** Ready nodes that did not answer the ping, by name. */
  unreachableNodes: string[];
}

export type NetworkReport = NodeNetwork | ClusterNetwork;

/** Unreachable nodes listed by name in the text. */
const LISTED = 10;

/**
 * `cqkd diagnose network`: for the local cluster, which host processes, tiers and nodes answer (every ready node is
 * pinged over UDP), the contacts per node by tier and the network size the nodes estimate; for one node, whether
 * it and its closest contacts answer, its contacts and the size it estimates.
 */
export function diagnoseNetwork(options: DiagnoseOptions): Promise<NetworkReport> {
  const { node, settings, signal } = options;
  return withClient(settings, async (client) => {
    if (node === undefined) return await clusterNetwork(client, settings, signal);
    return await nodeNetwork(client, await inspectNode(client, node, signal), settings);
  });
}

async function nodeNetwork(client: KademliaNode, remote: RemoteNode, settings: Settings): Promise<NodeNetwork> {
  const base = { scope: "node" as const, address: remote.address, id: remote.id.hex, rttMs: round(remote.rttMs) };
  const timeoutMs = probeTimeoutMs(remote);
  if (remote.source === "cqkd_diagnose") {
    const { role, table, networkSize } = remote.diagnostics;
    const rtts = await pingEach(client, table.closest.map((c) => parsePeer(c.address)), { timeoutMs });
    return {
      ...base,
      role,
      source: remote.source,
      contacts: table.contacts,
      estimatedSize: networkSize ?? table.contacts + 1,
      contactsPinged: table.closest.length,
      silentContacts: table.closest.filter((_, i) => rtts[i] === undefined).map((c) => c.address),
    };
  }
  const { legacy } = remote;
  const probe = await probeContacts(client, legacy, { timeoutMs });
  const { k } = legacyK(legacy, settings.ksize);
  const estimator = new NetworkSizeEstimator();
  estimator.addLookup(remote.id, legacy.contacts.slice(0, k), k);
  return {
    ...base,
    role: null,
    source: remote.source,
    note: LEGACY_NOTE,
    contacts: legacy.contacts.length,
    estimatedSize: estimator.estimate(),
    contactsPinged: probe.answered.length + probe.silent.length,
    silentContacts: probe.silent.map(formatPeer),
  };
}

async function clusterNetwork(client: KademliaNode, settings: Settings, signal?: AbortSignal): Promise<ClusterNetwork> {
  const view = await readClusterView(settings);
  const ready = view.nodes.filter((n) => n.state === "ready" && n.address !== undefined);
  const rtts = await pingEach(client, ready.map((n) => parsePeer(n.address!)), {
    timeoutMs: Math.min(client.rpcTimeoutMs, 2000),
    ...(signal ? { signal } : {}),
  });
  const answered = new Set(ready.filter((_, i) => rtts[i] !== undefined).map((n) => n.name));
  const expected = expectedByStep(view.state.shape);
  const tiers = Object.entries(STEP_ROLES).map(([tier, roles]): TierRow => {
    const own = ready.filter((n) => (roles as readonly string[]).includes(n.role));
    return {
      tier,
      expected: expected[tier as keyof typeof STEP_ROLES],
      ready: own.length,
      reachable: own.filter((n) => answered.has(n.name)).length,
      contacts: spreadOf(own.map((n) => n.contacts)),
    };
  });
  return {
    scope: "cluster",
    hosts: { total: view.state.hosts.length, unreachable: view.unreachable },
    tiers,
    nodes: {
      expected: tiers.reduce((n, t) => n + t.expected, 0),
      ready: ready.length,
      reachable: answered.size,
    },
    estimatedSize: spreadOf(view.running().flatMap((n) => n.diagnostics.networkSize ?? [])),
    unreachableNodes: ready.filter((n) => !answered.has(n.name)).map((n) => n.name),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The report as text for a person. */
export function formatNetwork(report: NetworkReport): string {
  if (report.scope === "node") {
    const silent = report.silentContacts;
    return [
      `Node ${report.address} (${report.id}), from ${report.source}`,
      ...(report.note ? [`Note: ${report.note}`] : []),
      "",
      formatTable(["field", "value"], [
        ["reachable", `yes, ping round trip ${cell(report.rttMs, 2)} ms`],
        ["role", report.role ?? "unknown (legacy node)"],
        ["contacts", report.contacts],
        ["estimated network size", report.estimatedSize],
        ["closest contacts answering", `${report.contactsPinged - silent.length}/${report.contactsPinged}`],
      ]),
      ...(silent.length > 0 ? ["", `Contacts that did not answer a ping from here: ${silent.join(", ")}`] : []),
    ].join("\n");
  }
  const { nodes } = report;
  return [
    `Local cluster: ${report.hosts.total - report.hosts.unreachable.length}/${report.hosts.total} host processes ` +
    `answer, ${nodes.ready}/${nodes.expected} nodes ready, ${nodes.reachable}/${nodes.ready} answer a ping over UDP`,
    ...unreachableLine(report.hosts.unreachable),
    `Estimated network size (the nodes' own estimates): ${spreadText(report.estimatedSize)}`,
    "",
    formatTable(
      ["tier", "expected", "ready", "reachable", "contacts min", "median", "max"],
      report.tiers.map((t) => [
        t.tier,
        t.expected,
        t.ready,
        t.reachable,
        t.contacts.min,
        t.contacts.median,
        t.contacts.max,
      ]),
    ),
    ...(report.unreachableNodes.length === 0 ? [] : [
      "",
      `Ready nodes that did not answer (${report.unreachableNodes.length}): ` +
      report.unreachableNodes.slice(0, LISTED).join(", ") + (report.unreachableNodes.length > LISTED ? ", …" : ""),
    ]),
  ].join("\n");
}
