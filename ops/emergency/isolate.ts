import type { Settings } from "../../core/config/mod.ts";
import { CommandError } from "../exit_codes.ts";
import { type ClusterNode, onEveryHost, openCluster, updateState } from "./_cluster_ops.ts";
import { detectIssues, type DetectOptions } from "./detect.ts";

/** Options of {@linkcode isolateNodes}. */
export interface IsolateOptions {
  /** The nodes to isolate, by name or id. */
  nodes?: readonly string[];
  /** Also isolate what `detect` finds that calls for isolation (unreachable, lossy or slow nodes). */
  detected?: boolean;
  /** How `detected` scans. */
  detect?: DetectOptions;
}

/** What `cqkd emergency isolate` did. */
export interface IsolateReport {
  /** Each node isolated: the routing tables it was removed from, and how many nodes now block it. */
  isolated: Array<{ name: string; id: string; removedFrom: number; blockedBy: number }>;
  /** Host processes that could not be asked (their nodes do not block the isolated ones). */
  failures: Array<{ host: string; error: string }>;
}

/**
 * `cqkd emergency isolate` (docs/operations.md#emergency): takes the named nodes (or those `detect` calls
 * for isolating) out of the routing table of every other node of every host process, and keeps them out: each
 * node puts their ids on its deny list (`POST /fleet/ops/isolate` with `block` on every host), so that refreshes
 * and lookups do not bring them back and their requests go unanswered. The state file records them: `detect`
 * reports them for information, `fallback` leaves them out, and `recover` starts them again with a new id.
 * @throws {CommandError} when no cluster runs or a named node is not in it
 */
export async function isolateNodes(settings: Settings, options: IsolateOptions): Promise<IsolateReport> {
  const cluster = await openCluster(settings);
  const { nodes } = await cluster.nodes();
  const wanted = [...options.nodes ?? []];
  if (options.detected) {
    const { findings } = await detectIssues(settings, options.detect);
    wanted.push(...findings.filter((f) => f.action === "isolate").flatMap((f) => f.nodes ?? []));
  }
  const targets = uniqueTargets(nodes, wanted);
  if (targets.length === 0) return { isolated: [], failures: [] };
  const ids = targets.map((t) => t.id!);
  const others = nodes.filter((n) => !ids.includes(n.id!)).map((n) => n.name);
  const { nodes: done, failures } = await onEveryHost(
    cluster,
    (client) =>
      client.call((api, o) => api.fleet.ops.isolate.$post({ json: { ids, block: true, names: others } }, o), 60_000),
  );
  const removed = done.flatMap((o) => o.ok ? [o.removedIds] : []);
  await updateState(cluster, (state) => ({
    ...state,
    isolated: [
      ...(state.isolated ?? []).filter((i) => !ids.includes(i.id)),
      ...targets.map(({ name, id }) => ({ name, id: id! })),
    ],
  }));
  return {
    isolated: targets.map(({ name, id }) => ({
      name,
      id: id!,
      removedFrom: removed.filter((list) => list.includes(id!)).length,
      blockedBy: removed.length,
    })),
    failures,
  };
}

/** The nodes named (by name or id), each once. @throws {CommandError} for a name or id not in the cluster */
function uniqueTargets(nodes: readonly ClusterNode[], wanted: readonly string[]): ClusterNode[] {
  const found = new Map<string, ClusterNode>();
  for (const key of wanted) {
    const node = nodes.find((n) => n.id !== undefined && (n.name === key || n.id === key.toLowerCase()));
    if (node === undefined) {
      throw new CommandError(`Cannot isolate ${key}: no node of the cluster has that name or id`);
    }
    found.set(node.id!, node);
  }
  return [...found.values()];
}
