import type { Settings } from "../../core/config/mod.ts";
import { type KademliaNode, type LookupEvent, NodeId } from "../../core/kademlia/mod.ts";
import { type LatencyPercentiles, parsePeer, type Peer, percentilesOf } from "../../core/net/mod.ts";
import type { NodeDiagnostics } from "../../core/services/mod.ts";
import { CommandError } from "../exit_codes.ts";
import { formatTable } from "../table.ts";
import { pingEach, withClient } from "./_client.ts";
import { cell, type DiagnoseOptions, type Spread, spreadOf, unreachableLine } from "./diagnosis.ts";
import { readClusterView } from "./local_cluster.ts";
import { type DiagnosisSource, inspectNode, LEGACY_NOTE, probeTimeoutMs } from "./remote_node.ts";

/** Pings sent from this client and how they went. */
export interface ProbeFigures {
  pings: number;
  lost: number;
  latency: LatencyPercentiles;
}

/** The latency of the nodes' own answered RPCs (their last 256 each): each percentile over the nodes. */
export interface NodesLatency {
  nodes: number;
  p50Ms: Spread;
  p90Ms: Spread;
  p99Ms: Spread;
}

/** Lookups of random ids run from this client through a node. */
export interface LookupFigures {
  /** The node the client joined through. */
  through: string;
  count: number;
  /** Rounds of queries. */
  hops: { mean: number; max: number };
  time: LatencyPercentiles;
  /** Contacts each lookup ended with. */
  found: Spread;
}

/** `cqkd diagnose performance` of a node or of the local cluster. */
export interface PerformanceReport {
  scope: "node" | "cluster";
  /** The node's address, or `local cluster`. */
  subject: string;
  source: DiagnosisSource | "local cluster";
  note?: string;
  /** Pings from this client: the node `PINGS` times, or every ready node of the cluster once (up to 200). */
  probe: ProbeFigures;
  /** `null` for a legacy node, which does not tell. */
  rpcLatency: NodesLatency | null;
  /** Timeouts over requests sent, in the nodes' own traffic; `null` for a legacy node. */
  packetLoss: { requests: number; timeouts: number; ratio: number } | null;
  lookups: LookupFigures;
  unreachableHosts: string[];
}

/** Pings of a single node. */
const PINGS = 20;
/** Most nodes of the cluster pinged. */
const PINGED_NODES = 200;
/** Lookups of random ids run from the client. */
const LOOKUPS = 5;

/**
 * `cqkd diagnose performance`: RPC latency percentiles (p50/p90/p99) of the nodes' own traffic and of pings from
 * here, packet loss (timeouts over requests), and the hops and time of a few real lookups of random ids run from a
 * client node through the node (or a super bootstrap node of the cluster).
 */
export function diagnosePerformance(options: DiagnoseOptions): Promise<PerformanceReport> {
  const { node, settings, signal } = options;
  return withClient(settings, async (client) => {
    if (node === undefined) return await clusterPerformance(client, settings, signal);
    const remote = await inspectNode(client, node, signal);
    // Lookups first, while the client knows the node alone: they start from it as a new node's would.
    const lookups = await runLookups(client, node, remote.address, signal);
    const probe = await pingRepeatedly(client, node, probeTimeoutMs(remote), signal);
    const base = { scope: "node" as const, subject: remote.address, probe, lookups, unreachableHosts: [] };
    if (remote.source === "legacy RPCs") {
      return { ...base, source: remote.source, note: LEGACY_NOTE, rpcLatency: null, packetLoss: null };
    }
    return { ...base, source: remote.source, ...trafficFigures([remote.diagnostics]) };
  });
}

async function clusterPerformance(
  client: KademliaNode,
  settings: Settings,
  signal?: AbortSignal,
): Promise<PerformanceReport> {
  const view = await readClusterView(settings);
  const running = view.running();
  const ready = running.filter((n) => n.state === "ready" && n.address !== undefined);
  const entry = ready.find((n) => n.role === "super-bootstrap") ?? ready[0];
  if (entry === undefined) throw new CommandError("Cannot measure the cluster's performance: no node is ready");
  // Lookups first, while the client knows the entry node alone (the pings make it know every node pinged).
  const lookups = await runLookups(client, parsePeer(entry.address!), entry.name, signal);
  const step = Math.max(1, Math.ceil(ready.length / PINGED_NODES));
  const pinged = ready.filter((_, i) => i % step === 0).map((n) => parsePeer(n.address!));
  const rtts = await pingEach(client, pinged, { timeoutMs: Math.min(client.rpcTimeoutMs, 2000), signal });
  return {
    scope: "cluster",
    subject: "local cluster",
    source: "local cluster",
    probe: probeFigures(rtts),
    ...trafficFigures(running.map((n) => n.diagnostics)),
    lookups,
    unreachableHosts: view.unreachable,
  };
}

/** Latency percentiles and packet loss of the nodes' own traffic, from their diagnoses. */
function trafficFigures(nodes: readonly NodeDiagnostics[]): Pick<PerformanceReport, "rpcLatency" | "packetLoss"> {
  const measured = nodes.map((d) => d.transport.latency).filter((l) => l.samples > 0);
  const requests = nodes.reduce((n, d) => n + d.transport.requestsOut, 0);
  const timeouts = nodes.reduce((n, d) => n + d.transport.timeouts, 0);
  return {
    rpcLatency: {
      nodes: measured.length,
      p50Ms: spreadOf(measured.map((l) => l.p50Ms)),
      p90Ms: spreadOf(measured.map((l) => l.p90Ms)),
      p99Ms: spreadOf(measured.map((l) => l.p99Ms)),
    },
    packetLoss: { requests, timeouts, ratio: requests === 0 ? 0 : Math.round(timeouts / requests * 10_000) / 10_000 },
  };
}

async function pingRepeatedly(
  client: KademliaNode,
  peer: Peer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeFigures> {
  const rtts: Array<number | undefined> = [];
  // One after the other: each round trip is measured alone, not in a burst.
  for (let i = 0; i < PINGS; i++) rtts.push(...await pingEach(client, [peer], { timeoutMs, signal }));
  return probeFigures(rtts);
}

function probeFigures(rtts: ReadonlyArray<number | undefined>): ProbeFigures {
  const answered = rtts.filter((r): r is number => r !== undefined);
  return { pings: rtts.length, lost: rtts.length - answered.length, latency: percentilesOf(answered) };
}

/** Joins through `peer` as a client (no join lookup) and runs {@linkcode LOOKUPS} lookups of random ids. */
async function runLookups(
  client: KademliaNode,
  peer: Peer,
  through: string,
  signal?: AbortSignal,
): Promise<LookupFigures> {
  const events: LookupEvent[] = [];
  const off = client.events.lookup.on((event) => events.push(event));
  try {
    await client.bootstrap([peer], { join: false, signal });
    for (let i = 0; i < LOOKUPS; i++) await client.findNode(NodeId.random(), { signal });
  } finally {
    off();
  }
  const hops = events.map((e) => e.hops);
  return {
    through,
    count: events.length,
    hops: {
      mean: Math.round(hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length) * 100) / 100,
      max: Math.max(0, ...hops),
    },
    time: percentilesOf(events.map((e) => e.durationMs)),
    found: spreadOf(events.map((e) => e.closest.length)),
  };
}

/** The report as text for a person. */
export function formatPerformance(report: PerformanceReport): string {
  const { probe, rpcLatency, packetLoss, lookups } = report;
  const latencyRows: Array<Array<string | number>> = [[
    `pings from here (${probe.latency.samples} answered)`,
    cell(probe.latency.p50Ms, 2),
    cell(probe.latency.p90Ms, 2),
    cell(probe.latency.p99Ms, 2),
  ]];
  if (rpcLatency !== null) {
    const row = (
      label: string,
      pick: (spread: Spread) => number,
    ) => [label, cell(pick(rpcLatency.p50Ms), 2), cell(pick(rpcLatency.p90Ms), 2), cell(pick(rpcLatency.p99Ms), 2)];
    if (report.scope === "node") latencyRows.push(row("the node's own RPCs", (s) => s.median));
    else {
      latencyRows.push(row(`nodes' own RPCs, median of ${rpcLatency.nodes} nodes`, (s) => s.median));
      latencyRows.push(row("nodes' own RPCs, worst node", (s) => s.max));
    }
  }
  const loss = packetLoss === null
    ? "not known (a legacy node does not tell)"
    : `${packetLoss.timeouts}/${packetLoss.requests} requests timed out (${cell(packetLoss.ratio * 100, 2)} %)`;
  return [
    `Performance of ${report.subject}, from ${report.source}`,
    ...(report.note ? [`Note: ${report.note}`] : []),
    ...unreachableLine(report.unreachableHosts),
    "",
    formatTable(["RPC latency", "p50 ms", "p90 ms", "p99 ms"], latencyRows),
    "",
    `Packet loss of the nodes' own traffic: ${loss}; pings from here lost: ${probe.lost}/${probe.pings}`,
    "",
    `Lookups of random ids from a client through ${lookups.through}:`,
    formatTable(
      ["lookups", "hops mean", "hops max", "time p50 ms", "time max ms", "contacts found"],
      [[
        lookups.count,
        lookups.hops.mean,
        lookups.hops.max,
        cell(lookups.time.p50Ms, 2),
        cell(lookups.time.maxMs, 2),
        lookups.found.median,
      ]],
    ),
  ].join("\n");
}
