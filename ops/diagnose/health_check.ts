import type { Settings } from "../../core/config/mod.ts";
import { HEALTH_LEVELS, type HealthLevel } from "../../core/health/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { LevelDiagnostics, NodeDiagnostics } from "../../core/services/mod.ts";
import { formatTable } from "../table.ts";
import { withClient } from "./_client.ts";
import { cell, type DiagnoseOptions, unreachableLine } from "./diagnosis.ts";
import { probeContacts } from "./legacy_table.ts";
import { readClusterView } from "./local_cluster.ts";
import { type DiagnosisSource, inspectNode, LEGACY_NOTE, probeTimeoutMs, type RemoteNode } from "./remote_node.ts";

/** Contacts by health status; a suspect failed one fast check and waits for a second to confirm it. */
export interface HealthCountsRow {
  healthy: number;
  degraded: number;
  unhealthy: number;
  unchecked: number;
  suspect: number;
}

/** What the checks of one level did (summed over the nodes, for the cluster). */
export type LevelRow = LevelDiagnostics & { level: HealthLevel };

/** `cqkd diagnose health-check`: the health registries of a node or of every node of the local cluster. */
export interface HealthReport {
  scope: "node" | "cluster";
  /** The node's address, or `local cluster`. */
  subject: string;
  source: DiagnosisSource | "local cluster";
  note?: string;
  /** Nodes whose health registry is counted, and how many of them run health checks. */
  nodes: number;
  checking: number;
  counts: HealthCountsRow;
  /** One row per level (none for a legacy node, which runs no checks cqkd can read). */
  levels: LevelRow[];
  /** Nodes with unhealthy or suspect contacts (the cluster), worst first, by name. */
  troubled: Array<{ name: string; unhealthy: number; suspect: number }>;
  unreachableHosts: string[];
}

/** Nodes with troubled contacts listed by name. */
const LISTED = 10;

/**
 * `cqkd diagnose health-check`: contacts by status (healthy, degraded, unhealthy, unchecked, suspect), and for each
 * check level its interval and timeout, checks and failures, when the last one finished and how long they take. A
 * legacy node keeps no registry cqkd can read: its contacts are pinged from here instead.
 */
export function diagnoseHealth(options: DiagnoseOptions): Promise<HealthReport> {
  const { node, settings, signal } = options;
  if (node === undefined) return clusterHealth(settings);
  return withClient(settings, async (client) => nodeHealth(client, await inspectNode(client, node, signal)));
}

async function nodeHealth(client: KademliaNode, remote: RemoteNode): Promise<HealthReport> {
  const base = { scope: "node" as const, subject: remote.address, troubled: [], unreachableHosts: [], nodes: 1 };
  if (remote.source === "cqkd_diagnose") {
    const { health } = remote.diagnostics;
    return {
      ...base,
      source: remote.source,
      checking: health.enabled ? 1 : 0,
      counts: countsOf(remote.diagnostics),
      levels: levelRows([remote.diagnostics]),
    };
  }
  const probe = await probeContacts(client, remote.legacy, { timeoutMs: probeTimeoutMs(remote) });
  return {
    ...base,
    source: remote.source,
    note: `${LEGACY_NOTE}; it keeps no health registry cqkd can read, so its contacts were pinged from this client`,
    checking: 0,
    counts: {
      healthy: probe.answered.length,
      degraded: 0,
      unhealthy: probe.silent.length,
      unchecked: probe.skipped,
      suspect: 0,
    },
    levels: [],
  };
}

async function clusterHealth(settings: Settings): Promise<HealthReport> {
  const view = await readClusterView(settings);
  const running = view.running().map((n) => n.diagnostics);
  const counts: HealthCountsRow = { healthy: 0, degraded: 0, unhealthy: 0, unchecked: 0, suspect: 0 };
  for (const d of running) {
    for (const [status, n] of Object.entries(countsOf(d))) counts[status as keyof HealthCountsRow] += n;
  }
  const troubled = view.running()
    .map(({ name, diagnostics: { health } }) => ({
      name,
      unhealthy: health.counts.unhealthy,
      suspect: health.suspects,
    }))
    .filter((n) => n.unhealthy + n.suspect > 0)
    .sort((a, b) => b.unhealthy + b.suspect - (a.unhealthy + a.suspect));
  return {
    scope: "cluster",
    subject: "local cluster",
    source: "local cluster",
    nodes: running.length,
    checking: running.filter((d) => d.health.enabled).length,
    counts,
    levels: levelRows(running),
    troubled,
    unreachableHosts: view.unreachable,
  };
}

function countsOf({ health }: NodeDiagnostics): HealthCountsRow {
  return { ...health.counts, suspect: health.suspects };
}

/**
 * The levels' figures summed over nodes: checks and failures added up, the mean weighted by checks, the latest
 * last check, the longest check; the interval and timeout those of most nodes.
 */
function levelRows(nodes: readonly NodeDiagnostics[]): LevelRow[] {
  const checking = nodes.flatMap((d) => d.health.levels === null ? [] : [d.health.levels]);
  if (checking.length === 0) return [];
  return HEALTH_LEVELS.map((level) => {
    const rows = checking.map((levels) => levels[level]);
    const checks = rows.reduce((n, r) => n + r.checks, 0);
    const agos = rows.flatMap((r) => r.lastAgoS === null ? [] : [r.lastAgoS]);
    return {
      level,
      intervalS: mostCommon(rows.map((r) => r.intervalS)),
      timeoutMs: mostCommon(rows.map((r) => r.timeoutMs)),
      checks,
      failures: rows.reduce((n, r) => n + r.failures, 0),
      inconclusive: rows.reduce((n, r) => n + r.inconclusive, 0),
      lastAgoS: agos.length === 0 ? null : Math.min(...agos),
      meanMs: checks === 0 ? 0 : Math.round(rows.reduce((n, r) => n + r.meanMs * r.checks, 0) / checks * 10) / 10,
      maxMs: Math.max(...rows.map((r) => r.maxMs)),
    };
  });
}

function mostCommon(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** The report as text for a person. */
export function formatHealth(report: HealthReport): string {
  const { counts } = report;
  const scope = report.scope === "cluster"
    ? `${report.nodes} running nodes of the local cluster, ${report.checking} of them running health checks`
    : `${report.subject}, from ${report.source}`;
  return [
    `Health checks of ${scope}`,
    ...(report.note ? [`Note: ${report.note}`] : []),
    ...unreachableLine(report.unreachableHosts),
    "",
    formatTable(
      ["healthy", "degraded", "unhealthy", "unchecked", "suspect"],
      [[counts.healthy, counts.degraded, counts.unhealthy, counts.unchecked, counts.suspect]],
    ),
    ...(report.levels.length === 0 ? [] : [
      "",
      formatTable(
        ["level", "every s", "timeout ms", "checks", "failed", "inconclusive", "last s ago", "mean ms", "max ms"],
        report.levels.map((l) => [
          l.level,
          l.intervalS,
          l.timeoutMs,
          l.checks,
          l.failures,
          l.inconclusive,
          cell(l.lastAgoS),
          cell(l.meanMs),
          cell(l.maxMs),
        ]),
      ),
    ]),
    ...(report.troubled.length === 0 ? [] : [
      "",
      `Nodes with unhealthy or suspect contacts (${report.troubled.length}):`,
      formatTable(
        ["node", "unhealthy", "suspect"],
        report.troubled.slice(0, LISTED).map((n) => [n.name, n.unhealthy, n.suspect]),
      ),
    ]),
  ].join("\n");
}
