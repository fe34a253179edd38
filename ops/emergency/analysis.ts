import type { NodeStatus } from "../cluster/fleet.ts";
import { names, percent, plural } from "./_text.ts";
import { byTier, isTier } from "./_tiers.ts";
import { bySeverity, type Finding } from "./finding.ts";
import { knowsGraph, type TableView } from "./knows_graph.ts";
import type { ProbeResult } from "./probe.ts";

/** A host process of the cluster as the scan found it. */
export interface ScannedHost {
  name: string;
  pid: number;
  /** Its process runs. */
  alive: boolean;
  /** Its control API answered. */
  answering: boolean;
}

/** A node of the cluster's plan: what should run, and where. */
export interface PlannedNode {
  name: string;
  role: string;
  host: string;
}

/** Everything `cqkd emergency detect` gathered, for {@linkcode analyzeScan}. */
export interface ClusterScan {
  hosts: ScannedHost[];
  planned: PlannedNode[];
  /** What the answering hosts report of their nodes. */
  nodes: Array<NodeStatus & { host: string }>;
  /** UDP probes of the ready nodes. */
  probes: ProbeResult[];
  /** Routing tables of the ready nodes. */
  tables: TableView[];
  /** RPCs the nodes sent while the scan ran, and how many got no answer. */
  rpcWindow: { requestsOut: number; timeouts: number };
  /** Nodes isolated by the operator (their ids blocked everywhere). */
  isolated: Array<{ id: string; name: string }>;
}

/** Limits beyond which detect reports a problem (the thresholds of the cqkd alert rules). */
export interface Thresholds {
  /** Round trip of a node, in ms. @default {500} */
  latencyMs: number;
  /** Share of requests without an answer. @default {0.05} */
  loss: number;
  /** Fewest RPCs sent by the nodes during the scan for their loss rate to count. @default {100} */
  minRpcSample: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { latencyMs: 500, loss: 0.05, minRpcSample: 100 };

/**
 * Turns a scan into findings, most urgent first: dead or hung host processes, stopped or failed nodes and dead
 * bootstrap tiers (against the cluster's plan), unreachable nodes, packet loss and latency over the thresholds
 * (from the probes and from the nodes' own RPCs), partitions and unlisted nodes (from the routing tables),
 * overloaded bootstrap nodes, and the nodes an operator isolated (for information).
 */
export function analyzeScan(scan: ClusterScan, thresholds: Thresholds = DEFAULT_THRESHOLDS): Finding[] {
  return bySeverity([
    ...hostFindings(scan),
    ...tierFindings(scan),
    ...unreachableFindings(scan),
    ...lossFindings(scan, thresholds),
    ...latencyFindings(scan, thresholds),
    ...graphFindings(scan),
    ...loadFindings(scan),
    ...isolatedFindings(scan),
  ]);
}

function hostFindings({ hosts, planned }: ClusterScan): Finding[] {
  return hosts.filter((h) => !h.alive || !h.answering).map((host) => {
    const nodes = planned.filter((n) => n.host === host.name).map((n) => n.name);
    return host.alive
      ? {
        kind: "host-unresponsive",
        severity: "critical",
        subject: `host ${host.name}`,
        detail: `pid ${host.pid} runs but its control API does not answer: ${plural(nodes.length, "node")} unchecked`,
        action: "recover",
        nodes,
      }
      : {
        kind: "host-down",
        severity: "critical",
        subject: `host ${host.name}`,
        detail: `pid ${host.pid} is not running: ${plural(nodes.length, "node")} gone`,
        action: "recover",
        nodes,
      };
  });
}

function tierFindings({ hosts, planned, nodes }: ClusterScan): Finding[] {
  const status = new Map(nodes.map((n) => [n.name, n]));
  const answering = new Set(hosts.filter((h) => h.alive && h.answering).map((h) => h.name));
  const findings: Finding[] = [];
  for (const [tier, members] of byTier(planned)) {
    const notReady = members.filter((n) => status.get(n.name)?.state !== "ready");
    const down = members.filter((n) => {
      const state = status.get(n.name)?.state;
      return answering.has(n.host) && (state === undefined || state === "failed" || state === "stopped");
    });
    if (isTier(tier) && notReady.length === members.length) {
      findings.push({
        kind: "tier-down",
        severity: "critical",
        subject: `${tier} tier`,
        detail: `none of its ${plural(members.length, "node")} is up: joining nodes cannot use this tier`,
        action: "recover",
        nodes: members.map((n) => n.name),
      });
    } else if (down.length > 0) {
      findings.push({
        kind: "nodes-down",
        severity: tier === "alice-bob" ? "critical" : "warning",
        subject: `${tier} tier`,
        detail: `${down.length} of ${members.length} down: ${names(down.map((n) => describeDown(status.get(n.name))))}`,
        action: "recover",
        nodes: down.map((n) => n.name),
      });
    }
  }
  return findings;
}

function describeDown(node: NodeStatus | undefined): string {
  if (node === undefined) return "missing";
  return node.error === undefined ? `${node.name} (${node.state})` : `${node.name} (${node.state}: ${node.error})`;
}

function unreachableFindings({ probes, nodes }: ClusterScan): Finding[] {
  const roleOf = new Map(nodes.map((n) => [n.name, n.role]));
  const silent = probes.filter((p) => p.sent > 0 && p.answered === 0).map((p) => p.name);
  if (silent.length === 0) return [];
  return [{
    kind: "unreachable",
    severity: silent.some((name) => roleOf.get(name) !== "worker") ? "critical" : "warning",
    subject: "nodes",
    detail: `${plural(silent.length, "node")} reported ready but not answering over UDP: ${names(silent)}`,
    action: "isolate",
    nodes: silent,
  }];
}

function lossFindings({ probes, rpcWindow }: ClusterScan, thresholds: Thresholds): Finding[] {
  const findings: Finding[] = [];
  const limit = `limit ${percent(thresholds.loss)}`;
  // Loss among the nodes that answer at all: the silent ones are unreachable, not lossy.
  const answering = probes.filter((p) => p.answered > 0);
  const sent = answering.reduce((sum, p) => sum + p.sent, 0);
  const lost = answering.reduce((sum, p) => sum + p.sent - p.answered, 0);
  if (sent > 0 && lost / sent > thresholds.loss) {
    const lossy = answering.filter((p) => p.answered < p.sent).map((p) => p.name);
    findings.push({
      kind: "packet-loss",
      severity: "warning",
      subject: "probes",
      detail: `${percent(lost / sent)} of ${sent} probes unanswered (${limit}), from ${names(lossy)}`,
      action: "isolate",
      nodes: lossy,
    });
  }
  const { requestsOut, timeouts } = rpcWindow;
  if (requestsOut >= thresholds.minRpcSample && timeouts / requestsOut > thresholds.loss) {
    findings.push({
      kind: "packet-loss",
      severity: "warning",
      subject: "node RPCs",
      detail: `${percent(timeouts / requestsOut)} of the ${requestsOut} RPCs the nodes sent during the scan got no ` +
        `answer (${limit})`,
      action: "recover",
    });
  }
  return findings;
}

function latencyFindings({ probes, nodes }: ClusterScan, thresholds: Thresholds): Finding[] {
  const slow = new Map<string, string>();
  for (const probe of probes) {
    const median = medianOf(probe.rttMs);
    if (median > thresholds.latencyMs) slow.set(probe.name, `${probe.name} (probes ${Math.round(median)} ms)`);
  }
  for (const node of nodes) {
    const srtt = node.rpc?.srttMs;
    if (srtt !== undefined && srtt > thresholds.latencyMs && !slow.has(node.name)) {
      slow.set(node.name, `${node.name} (its RPCs ${Math.round(srtt)} ms)`);
    }
  }
  if (slow.size === 0) return [];
  return [{
    kind: "latency",
    severity: "warning",
    subject: "nodes",
    detail: `${plural(slow.size, "node")} over ${thresholds.latencyMs} ms: ${names([...slow.values()])}`,
    action: "isolate",
    nodes: [...slow.keys()],
  }];
}

function graphFindings({ tables, isolated }: ClusterScan): Finding[] {
  const blocked = new Set(isolated.map((i) => i.id));
  const graph = knowsGraph(tables.filter((t) => !blocked.has(t.id)));
  const findings: Finding[] = [];
  const [main, ...others] = graph.components;
  if (main !== undefined && others.length > 0) {
    const cut = others.flat();
    findings.push({
      kind: "partition",
      severity: "critical",
      subject: "routing tables",
      detail: `${graph.components.length} groups of nodes that do not know each other (${
        graph.components.map((c) => c.length).join(" + ")
      } nodes): ${names(cut)} cannot be reached from the rest`,
      action: "fallback",
      nodes: cut,
    });
  }
  const cut = new Set(others.flat());
  const unlisted = graph.unlisted.filter((name) => !cut.has(name));
  if (unlisted.length > 0) {
    findings.push({
      kind: "unlisted",
      severity: "warning",
      subject: "routing tables",
      detail: `${plural(unlisted.length, "node")} in no other node's routing table (lookups cannot reach them): ${
        names(unlisted)
      }`,
      action: "fallback",
      nodes: unlisted,
    });
  }
  return findings;
}

function loadFindings({ nodes }: ClusterScan): Finding[] {
  const over = nodes.filter((n) => n.state === "ready" && n.capacity !== undefined && (n.load ?? 0) > n.capacity);
  if (over.length === 0) return [];
  return [{
    kind: "overloaded",
    severity: "warning",
    subject: "bootstrap nodes",
    detail: `${plural(over.length, "node")} over capacity: ${
      names(over.map((n) => `${n.name} (${n.load} joiners for ${n.capacity} slots)`))
    }`,
    action: "fallback",
    nodes: over.map((n) => n.name),
  }];
}

function isolatedFindings({ isolated }: ClusterScan): Finding[] {
  if (isolated.length === 0) return [];
  const isolatedNames = isolated.map((i) => i.name);
  return [{
    kind: "isolated",
    severity: "info",
    subject: "operator",
    detail: `${plural(isolated.length, "node")} isolated by cqkd emergency isolate, still blocked: ${
      names(isolatedNames)
    }`,
    action: "none",
    nodes: isolatedNames,
  }];
}

function medianOf(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
