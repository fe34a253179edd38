import type { Settings } from "../../core/config/mod.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import type { NodeStatus } from "../cluster/fleet.ts";
import { type ClusterPlan, planCluster } from "../cluster/plan.ts";
import { type ClusterState, StateDir } from "../cluster/state.ts";
import type { HostClient } from "../cluster/supervisor.ts";
import { CommandError } from "../exit_codes.ts";
import type { PlannedNode } from "./analysis.ts";
import type { TableView } from "./knows_graph.ts";

/** A node of the cluster as its host reports it, with the host's name. */
export type ClusterNode = NodeStatus & { host: string };

/** The recorded cluster. @throws {CommandError} when none is recorded */
export async function openCluster(settings: Settings): Promise<RunningCluster> {
  const cluster = await RunningCluster.open(new StateDir(settings.state_dir));
  if (cluster === undefined) throw new CommandError("No cluster is running (start one with `cqkd startup`)");
  return cluster;
}

/**
 * Changes the recorded state under the state directory's lock (read again first: another command may have
 * written it since the cluster was opened). @returns the state written
 */
export async function updateState(
  cluster: RunningCluster,
  change: (state: ClusterState) => ClusterState,
): Promise<ClusterState> {
  const lock = await cluster.dir.lock();
  try {
    const state = change((await cluster.dir.read()) ?? cluster.state);
    await cluster.dir.write(state);
    return state;
  } finally {
    await lock.release();
  }
}

/**
 * The cluster's plan as `cqkd startup` laid it out (it is a function of the recorded shape and ports): which node
 * runs on which host process, with its spec.
 */
export function clusterPlan(cluster: RunningCluster, settings: Settings): ClusterPlan {
  const { shape, ports } = cluster.state;
  return planCluster(shape, ports, settings.fallback_bootstrap_nodes);
}

/** Every node of a plan, with its host. */
export function plannedNodes(plan: ClusterPlan): PlannedNode[] {
  return plan.stages.flatMap((stage) =>
    stage.placements.flatMap(({ host, nodes }) => nodes.map(({ name, role }) => ({ name, role, host })))
  );
}

/** The per-node outcomes of requests to every host process, and the host processes that could not be asked. */
export interface HostsOutcome<T> {
  nodes: Array<T & { host: string }>;
  failures: Array<{ host: string; error: string }>;
}

/**
 * Sends a request to every running host process at once (one of the `/fleet/…` endpoints, which act on all the
 * host's nodes), but those named in `except` (known not to answer), and gathers what each says per node.
 */
export async function onEveryHost<T>(
  cluster: RunningCluster,
  request: (client: HostClient) => Promise<T[]>,
  except: readonly string[] = [],
): Promise<HostsOutcome<T>> {
  const clients = cluster.alive().filter((c) => !except.includes(c.record.name));
  const settled = await Promise.allSettled(clients.map(request));
  const outcome: HostsOutcome<T> = { nodes: [], failures: [] };
  settled.forEach((result, i) => {
    const host = clients[i]!.record.name;
    if (result.status === "fulfilled") outcome.nodes.push(...result.value.map((node) => ({ ...node, host })));
    else outcome.failures.push({ host, error: (result.reason as Error).message });
  });
  return outcome;
}

/** The routing tables of every running node of the cluster, by node name (from hosts that answer). */
export async function readTables(cluster: RunningCluster, except: readonly string[] = []): Promise<TableView[]> {
  return (await onEveryHost(
    cluster,
    (client) => client.call((api, o) => api.fleet["routing-tables"].$get({}, o)),
    except,
  )).nodes;
}
