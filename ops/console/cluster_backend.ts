/**
 * The console of a local cluster, served by each of its host processes: the snapshot comes from every host
 * process's API (the nodes, and the traffic each sums over its own nodes at `/console/api/traffic`), with the
 * cluster's token from the state file; the operations are the CLI's own procedures (`cqkd keygen`, `tune --all`,
 * `emergency detect|isolate|recover`), run in this process.
 */
import type { Settings } from "../../core/config/mod.ts";
import type { NodeDiagnostics } from "../../core/services/mod.ts";
import { isParameterGroup } from "./parameter_groups.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import type { KeygenReport } from "../cluster/keygen_route.ts";
import { ALICE_BOB_HOST, BOOTSTRAP_HOST } from "../cluster/plan.ts";
import type { HostClient } from "../cluster/supervisor.ts";
import { AdminRequestError } from "../admin_client.ts";
import { StateDir } from "../cluster/state.ts";
import { parseAssignments, tune } from "../diagnose/mod.ts";
import { detectIssues } from "../emergency/detect.ts";
import { isolateNodes } from "../emergency/isolate.ts";
import { recoverCluster } from "../emergency/recover.ts";
import { CommandError } from "../exit_codes.ts";
import { runKeygen } from "../keygen.ts";
import type { HostStatus, TierStatus } from "../status.ts";
import type { AdminNode } from "../admin/node_directory.ts";
import { expectedByStep, type RoleCounts, STEP_ROLES, sumCounts } from "../cluster/cluster.ts";
import { residentMb } from "../cluster/state.ts";
import {
  mergeSummaries,
  type ProcessSummary,
  processSummary,
  type RoleStates,
  snapshotOf,
  valuesLine,
} from "./summary.ts";
import type {
  ConsoleBackend,
  KeygenRequest,
  KeyPool,
  NodeRow,
  OperationResult,
  SessionReport,
  Snapshot,
} from "./source.ts";
import { withoutKeys } from "./source.ts";

/**
 * A GET of a host process's JSON with the cluster's token. Raw rather than through the typed client: the console's
 * own endpoints, and `GET /keys/pool` that key delivery will add, are not part of the host app's typed routes.
 * @throws {AdminRequestError} when the host process does not answer in time or refuses
 */
async function getJson<T>(client: HostClient, path: string, timeoutMs: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${client.base}${path}`, {
      headers: { authorization: `Bearer ${client.token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new AdminRequestError(`${client.label} does not answer: ${(error as Error).message}`);
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw new AdminRequestError(`${client.label}: GET ${path}: ${body?.error ?? response.status}`, response.status);
  }
  return body as T;
}

/** How long the console waits for a host process's figures before showing it as not answering. */
const HOST_TIMEOUT_MS = 3000;

/** The console's view of the local cluster recorded in `settings.state_dir`. */
export class ClusterBackend implements ConsoleBackend {
  readonly scope = "cluster" as const;
  readonly #dir: StateDir;

  /**
   * @param settings the settings of the host process (its `state_dir` names the cluster)
   * @param local this process's own nodes and their states, which other host processes' consoles ask for
   */
  constructor(
    readonly settings: Settings,
    readonly local?: { entries: () => AdminNode[]; roles: () => RoleStates },
  ) {
    this.#dir = new StateDir(settings.state_dir);
  }

  async #cluster(): Promise<RunningCluster | undefined> {
    return await RunningCluster.open(this.#dir);
  }

  async snapshot(): Promise<Snapshot> {
    const cluster = await this.#cluster();
    if (cluster === undefined) {
      const none = { scope: "cluster", title: "local cluster", running: false, healthy: false } as const;
      return { ...snapshotOf({ ...none, hosts: [], tiers: [] }, mergeSummaries([])), contactHealth: {} };
    }
    const alive = cluster.alive();
    const answers = await Promise.all(
      alive.map((c) => getJson<ProcessSummary>(c, "/console/api/summary", HOST_TIMEOUT_MS).catch(() => undefined)),
    );
    const byHost = new Map(alive.map((c, i) => [c.record.name, answers[i]]));
    const merged = mergeSummaries(answers.filter((a) => a !== undefined));
    const hosts = [...cluster.clients].sort(byHostName).map((client): HostStatus => {
      const { name, pid } = client.record;
      const states = Object.values(byHost.get(name)?.roles ?? {});
      return {
        name,
        pid,
        alive: byHost.get(name) !== undefined,
        rssMb: Math.round(residentMb(pid)),
        nodes: states.reduce((sum, s) => sum + Object.values(s).reduce((a, b) => a + b, 0), 0),
        ready: states.reduce((sum, s) => sum + (s.ready ?? 0), 0),
      };
    });
    const expected = expectedByStep(cluster.state.shape);
    const tiers = Object.entries(STEP_ROLES).map(([tier, roles]): TierStatus => {
      const counts = sumCounts([merged.roles as RoleCounts], roles);
      return { tier, expected: expected[tier as keyof typeof STEP_ROLES], ready: counts.ready, failed: counts.failed };
    });
    return snapshotOf({
      scope: "cluster",
      title: "local cluster",
      running: hosts.some((h) => h.alive),
      healthy: hosts.every((h) => h.alive) && tiers.every((t) => t.ready === t.expected),
      hosts,
      tiers,
    }, merged);
  }

  async nodes(): Promise<NodeRow[]> {
    return (await (await this.#cluster())?.nodes())?.nodes ?? [];
  }

  localSummary(): ProcessSummary {
    const local = this.local;
    return processSummary(local?.entries() ?? [], local?.roles());
  }

  async diagnostics(row: NodeRow): Promise<NodeDiagnostics | undefined> {
    const client = row.host === undefined ? undefined : (await this.#cluster())?.client(row.host);
    if (client === undefined) return undefined;
    return await getJson<NodeDiagnostics>(
      client,
      `/console/api/diagnostics/${encodeURIComponent(row.name)}`,
      HOST_TIMEOUT_MS,
    );
  }

  async #alice() {
    const client = (await this.#cluster())?.alive().find((c) => c.record.name === ALICE_BOB_HOST);
    if (client === undefined) throw new CommandError("Alice and Bob's host process is not running");
    return client;
  }

  async sessions(): Promise<SessionReport[]> {
    const reports = await getJson<KeygenReport[]>(await this.#alice(), "/sessions", HOST_TIMEOUT_MS);
    return reports.map((r) => withoutKeys(r));
  }

  async keyPool(): Promise<KeyPool | undefined> {
    return await getJson<KeyPool>(await this.#alice(), "/keys/pool", HOST_TIMEOUT_MS).catch(() => undefined);
  }

  async keygen(request: KeygenRequest): Promise<SessionReport> {
    return withoutKeys(await runKeygen(this.settings, { ...request, showKey: false }));
  }

  async diagnose(): Promise<OperationResult> {
    const { findings, scanned } = await detectIssues(this.settings);
    const acting = findings.filter((f) => f.severity !== "info").length;
    return {
      ok: acting === 0,
      summary: (acting === 0 ? "No problem found" : `${acting} finding(s) to act on`) +
        ` (${scanned.hosts} host processes, ${scanned.nodes} nodes, ${scanned.probes} UDP probes, ` +
        `${scanned.tables} routing tables in ${scanned.seconds.toFixed(1)} s)`,
      headers: ["severity", "finding", "subject", "action", "detail"],
      rows: findings.map((f) => [f.severity, f.kind, f.subject, f.action, f.detail]),
    };
  }

  async tune(group: string, assignments: string[], reset: boolean): Promise<OperationResult> {
    if (!isParameterGroup(group)) throw new CommandError(`Unknown parameter group ${group}`);
    const set = parseAssignments(group, assignments);
    const report = await tune({ settings: this.settings, group, set, reset, all: true });
    const byValues = new Map<string, number>();
    for (const node of report.nodes) {
      const key = valuesLine(node.parameters.values);
      byValues.set(key, (byValues.get(key) ?? 0) + 1);
    }
    return {
      ok: report.failed.length === 0,
      summary: `${group} parameters now in force on ${report.nodes.length} nodes` +
        (report.failed.length > 0 ? `; ${report.failed.length} refused or did not answer` : ""),
      headers: ["parameters", "nodes"],
      rows: [...byValues].map(([values, n]) => [values, n]),
    };
  }

  async isolate(targets: string[]): Promise<OperationResult> {
    const report = await isolateNodes(this.settings, { nodes: targets });
    return {
      ok: report.failures.length === 0,
      summary: `${report.isolated.length} node(s) isolated: out of every routing table and blocked` +
        (report.failures.length > 0 ? `; ${report.failures.length} host process(es) could not be asked` : ""),
      headers: ["node", "id", "removed from", "blocked by"],
      rows: report.isolated.map((n) => [n.name, n.id, `${n.removedFrom} tables`, `${n.blockedBy} nodes`]),
    };
  }

  async recover(): Promise<OperationResult> {
    const report = await recoverCluster({ settings: this.settings });
    return {
      ok: report.ok,
      summary: `recover: verify network ${report.ok ? "passed" : "FAILED"} after ${report.seconds.toFixed(1)} s`,
      headers: ["check", "result", "detail"],
      rows: report.checks.map((c) => [c.name, c.ok ? "ok" : "FAIL", c.detail]),
    };
  }
}

/** Host processes in a steady order: the bootstrap host, Alice and Bob's, then the worker hosts by number. */
function byHostName(a: HostClient, b: HostClient): number {
  const rank = (name: string) => (name === BOOTSTRAP_HOST ? 0 : name === ALICE_BOB_HOST ? 1 : 2);
  return rank(a.record.name) - rank(b.record.name) ||
    a.record.name.localeCompare(b.record.name, "en", { numeric: true });
}
