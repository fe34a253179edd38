import type { Settings } from "../../core/config/mod.ts";
import { formatPeer, type Peer } from "../../core/net/mod.ts";
import {
  checkParameters,
  type GroupParameters,
  type NodeParameters,
  ParameterError,
  type ParameterGroup,
  TUNABLE_PARAMETERS,
} from "../../core/services/mod.ts";
import { AdminClient, AdminRequestError } from "../admin_client.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import { StateDir } from "../cluster/state.ts";
import { CommandError, EXIT } from "../exit_codes.ts";
import { formatTable } from "../table.ts";
import { mapLimit } from "./_client.ts";

/** What `cqkd tune` is asked to do. */
export interface TuneRequest {
  settings: Settings;
  group: ParameterGroup;
  /** Values to set, by parameter name (see {@linkcode parseAssignments}); none: show the parameters. */
  set: Record<string, number>;
  /** Hand the group's parameters back to the adaptive logic (kademlia) or the node's settings, before `set`. */
  reset: boolean;
  /** One node of the local cluster, by its UDP address. */
  node?: Peer;
  /** Every node of the local cluster. */
  all?: boolean;
  /** The admin API of one `cqkd node` process, instead of the local cluster. */
  admin?: { url: string; token?: string };
}

/** One node's parameters of the group, after the change. */
export interface TunedNode {
  name: string;
  id: string;
  /** The host process that runs it (local cluster). */
  host?: string;
  parameters: GroupParameters;
}

/** What `cqkd tune` did. */
export interface TuneReport {
  group: ParameterGroup;
  changed: boolean;
  set: Record<string, number>;
  reset: boolean;
  nodes: TunedNode[];
  /** Nodes whose admin API refused or did not answer. */
  failed: Array<{ name: string; error: string }>;
}

/** Requests to one host process in flight at once. */
const PER_HOST = 8;

/**
 * Reads `name=value` assignments of a group's parameters.
 * @throws {CommandError} naming an assignment that does not parse, or a parameter unknown or out of bounds
 */
export function parseAssignments(group: ParameterGroup, assignments: readonly string[]): Record<string, number> {
  const known = Object.keys(TUNABLE_PARAMETERS[group]);
  const values: Record<string, number> = {};
  for (const assignment of assignments) {
    const [, name = "", text = ""] = /^([^=]*)=(.*)$/.exec(assignment.trim()) ?? [];
    if (!known.includes(name)) {
      throw new CommandError(
        `Unknown ${group} parameter in --set "${assignment}": expected one of ${known.join(", ")} (a setting goes ` +
          `before the subcommand: cqkd --set name=value tune …)`,
      );
    }
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new CommandError(`Invalid --set "${assignment}": expected ${name}=<number>`);
    }
    values[name] = value;
  }
  try {
    checkParameters(group, values);
  } catch (error) {
    if (error instanceof ParameterError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
  return values;
}

/**
 * `cqkd tune`: shows a group's parameters in force, or changes them live through the admin API (`PATCH
 * …/parameters`, which needs a write token and is audited): on one `cqkd node` process (`admin`), on one node of
 * the local cluster (`node`) or on all of them (`all`, through each host process with the cluster's token).
 * @throws {CommandError} for contradictory targets, no running cluster, or when no node could be reached or tuned
 */
export async function tune(request: TuneRequest): Promise<TuneReport> {
  const { group, set, reset } = request;
  const changed = reset || Object.keys(set).length > 0;
  if (request.node !== undefined && request.all) throw new CommandError("Give --node or --all, not both");
  if (request.admin !== undefined && (request.node !== undefined || request.all)) {
    throw new CommandError("--admin names one node process: leave out --node and --all");
  }
  const body = { group, set, reset };
  const report: TuneReport = { group, changed, set, reset, nodes: [], failed: [] };
  if (request.admin !== undefined) {
    const client = new AdminClient(request.admin.url, request.admin.token ? { token: request.admin.token } : {});
    const answer = await ask<TunedAnswer | ParametersAnswer>(() =>
      changed ? client.patch<TunedAnswer>("/parameters", body) : client.get<ParametersAnswer>("/parameters")
    );
    report.nodes.push(tunedNode(group, answer));
    return report;
  }
  const cluster = await RunningCluster.open(new StateDir(request.settings.state_dir));
  if (cluster === undefined) {
    throw new CommandError("No cluster is running: start one with `cqkd startup`, or name a node process with --admin");
  }
  if (changed && request.node === undefined && !request.all) {
    throw new CommandError("Say which nodes to change: --node host:port (one node) or --all (every node)");
  }
  const { nodes } = await cluster.nodes();
  const chosen = nodes.filter((n) =>
    n.state === "ready" && (request.node === undefined || n.address === formatPeer(request.node))
  );
  if (chosen.length === 0) {
    throw new CommandError(
      request.node === undefined
        ? "No node of the local cluster is ready"
        : `No ready node of the local cluster listens on ${formatPeer(request.node)}`,
    );
  }
  await Promise.all(
    cluster.alive().map((client) => {
      const own = chosen.filter((n) => n.host === client.record.name);
      return mapLimit(own, PER_HOST, async ({ name }) => {
        const path = `/nodes/${encodeURIComponent(name)}/parameters`;
        try {
          const answer = changed
            ? await client.patch<TunedAnswer>(path, body)
            : await client.get<ParametersAnswer>(path);
          report.nodes.push({ ...tunedNode(group, answer), host: client.record.name });
        } catch (error) {
          report.failed.push({ name, error: (error as Error).message });
        }
      });
    }),
  );
  const order = new Map(chosen.map((n, i) => [n.name, i]));
  report.nodes.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  if (report.nodes.length === 0) throw new CommandError(report.failed[0]?.error ?? "No node answered");
  return report;
}

/** The exit code of a tune: 1 when some nodes were not tuned. */
export function tuneExitCode(report: TuneReport): number {
  return report.failed.length === 0 ? EXIT.ok : EXIT.no;
}

type ParametersAnswer = { name: string; id: string } & NodeParameters;
type TunedAnswer = { name: string; id: string; group: ParameterGroup } & GroupParameters;

function tunedNode(group: ParameterGroup, answer: ParametersAnswer | TunedAnswer): TunedNode {
  const parameters = "values" in answer ? answer : answer[group];
  const { enabled, values, pinned, state } = parameters;
  return { name: answer.name, id: answer.id, parameters: { enabled, values, pinned, state } };
}

/** Runs one admin request; a refusal (401, 403, 400) or silence becomes a one-line CommandError. */
async function ask<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof AdminRequestError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

/** The report as text for a person: one node's parameters in a column, or the cluster's grouped by value. */
export function formatTune(report: TuneReport): string {
  const { group, nodes } = report;
  const names = Object.keys(TUNABLE_PARAMETERS[group]);
  const specs: Record<string, { description: string }> = TUNABLE_PARAMETERS[group];
  const verb = report.changed ? "now in force" : "in force";
  const failures = report.failed.map((f) => `! ${f.name}: ${f.error}`);
  const off = nodes.filter((n) => !n.parameters.enabled).length;
  const pinnable = group === "kademlia";
  const offLine = off === 0 ? [] : [`${off} of the nodes do not run the ${group} service`];
  if (nodes.length === 1) {
    const { name, parameters } = nodes[0]!;
    const state = Object.entries(parameters.state).map(([key, value]) => `${key} ${value}`).join(", ");
    return [
      `${group} parameters ${verb} on ${name}${state ? ` (${state})` : ""}`,
      ...offLine,
      "",
      formatTable(
        ["parameter", "value", ...(pinnable ? ["pinned"] : []), "what"],
        names.map((p) => {
          const pinned = parameters.pinned.includes(p) ? "yes" : "";
          return [p, parameters.values[p] ?? "-", ...(pinnable ? [pinned] : []), specs[p]!.description];
        }),
      ),
      ...failures,
    ].join("\n");
  }
  const groups = new Map<string, { row: Array<string | number>; nodes: number }>();
  for (const { parameters } of nodes) {
    const row = [
      ...names.map((p) => parameters.values[p] ?? "-"),
      ...(pinnable ? [parameters.pinned.join(",") || "-"] : []),
    ];
    const key = JSON.stringify(row);
    const entry = groups.get(key) ?? { row, nodes: 0 };
    entry.nodes++;
    groups.set(key, entry);
  }
  return [
    `${group} parameters ${verb} on ${nodes.length} nodes of the local cluster`,
    ...offLine,
    "",
    formatTable(
      [...names, ...(pinnable ? ["pinned"] : []), "nodes"],
      [...groups.values()].map((g) => [...g.row, g.nodes]),
    ),
    ...failures,
  ].join("\n");
}
