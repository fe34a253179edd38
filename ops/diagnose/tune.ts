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
import type { HostClient } from "../cluster/supervisor.ts";
import { StateDir } from "../cluster/state.ts";
import { CommandError, EXIT } from "../exit_codes.ts";
import { formatTable } from "../table.ts";

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
  /** Nodes that refused the change, and host processes that refused or did not answer. */
  failed: Array<{ name: string; error: string }>;
}

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
 * the local cluster (`node`), or on all of them (`all`: one request per host process, with the cluster's token).
 * @throws {CommandError} for contradictory targets, no running cluster, or when no node could be reached or tuned
 */
export async function tune(request: TuneRequest): Promise<TuneReport> {
  const { group, set, reset } = request;
  const changed = reset || Object.keys(set).length > 0;
  if (request.node !== undefined && request.all) throw new CommandError("Give --node or --all, not both");
  if (request.admin !== undefined && (request.node !== undefined || request.all)) {
    throw new CommandError("--admin names one node process: leave out --node and --all");
  }
  const report: TuneReport = { group, changed, set, reset, nodes: [], failed: [] };
  /** One request to a process: about every node of it, or about the `node` named. */
  const send = async (client: AdminClient, node?: string, host?: string) => {
    const json = { group, set, reset };
    const param = { id: node ?? "" };
    const answer: ProcessAnswer | NodeAnswer = node === undefined
      ? changed
        ? await client.call((api, o) => api.parameters.$patch({ json }, o))
        : await client.call((api, o) => api.parameters.$get({}, o))
      : changed
      ? await client.call((api, o) => api.nodes[":id"].parameters.$patch({ param, json }, o))
      : await client.call((api, o) => api.nodes[":id"].parameters.$get({ param }, o));
    for (const node of "nodes" in answer ? answer.nodes : [answer]) {
      report.nodes.push({ ...tunedNode(group, node), ...(host ? { host } : {}) });
    }
    report.failed.push(...("failed" in answer ? answer.failed ?? [] : []));
  };
  if (request.admin !== undefined) {
    const client = new AdminClient(request.admin.url, request.admin.token ? { token: request.admin.token } : {});
    await send(client).catch((error) => {
      throw error instanceof AdminRequestError ? new CommandError(error.message, undefined, { cause: error }) : error;
    });
    return report;
  }
  const cluster = await RunningCluster.open(new StateDir(request.settings.state_dir));
  if (cluster === undefined) {
    throw new CommandError("No cluster is running: start one with `cqkd startup`, or name a node process with --admin");
  }
  if (changed && request.node === undefined && !request.all) {
    throw new CommandError("Say which nodes to change: --node host:port (one node) or --all (every node)");
  }
  const targets = await clusterTargets(cluster, request.node);
  await Promise.all(targets.map(async ({ client, node }) => {
    try {
      // The parameter routes of a host process are the admin app's.
      await send(new AdminClient(client.base, { token: client.token, label: client.label }), node, client.record.name);
    } catch (error) {
      report.failed.push({ name: client.record.name, error: (error as Error).message });
    }
  }));
  const order = cluster.clients.map((c) => c.record.name);
  report.nodes.sort((a, b) => order.indexOf(a.host!) - order.indexOf(b.host!));
  if (report.nodes.length === 0) throw new CommandError(report.failed[0]?.error ?? "No node answered");
  return report;
}

/**
 * Where to send a tune on the local cluster: the node listening at `node` on its host process, or every live host
 * process (each changes all its nodes in one request).
 * @throws {CommandError} when no ready node listens at `node`
 */
async function clusterTargets(
  cluster: RunningCluster,
  node: Peer | undefined,
): Promise<Array<{ client: HostClient; node?: string }>> {
  if (node === undefined) return cluster.alive().map((client) => ({ client }));
  const address = formatPeer(node);
  const { nodes } = await cluster.nodes();
  const found = nodes.find((n) => n.state === "ready" && n.address === address);
  const client = found && cluster.client(found.host);
  if (found === undefined || client === undefined) {
    throw new CommandError(`No ready node of the local cluster listens on ${address}`);
  }
  return [{ client, node: found.name }];
}

/** The exit code of a tune: 1 when some nodes were not tuned. */
export function tuneExitCode(report: TuneReport): number {
  return report.failed.length === 0 ? EXIT.ok : EXIT.no;
}

/** One node's answer: the group's parameters after a change, or every group's when read. */
type NodeAnswer = { name: string; id: string } & (GroupParameters | NodeParameters);
/** A process's answer: every node's, and those that refused a change. */
type ProcessAnswer = { nodes: NodeAnswer[]; failed?: Array<{ name: string; error: string }> };

function tunedNode(group: ParameterGroup, answer: NodeAnswer): TunedNode {
  const parameters = "values" in answer ? answer : answer[group];
  const { enabled, values, pinned, state } = parameters;
  return { name: answer.name, id: answer.id, parameters: { enabled, values, pinned, state } };
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
