import type { Settings } from "../../core/config/mod.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import type { NodeStatus } from "../cluster/fleet.ts";
import { type ClusterPlan, planCluster } from "../cluster/plan.ts";
import { type ClusterState, StateDir } from "../cluster/state.ts";
import type { HostClient } from "../cluster/supervisor.ts";
import { CommandError } from "../exit_codes.ts";
import { settleAll } from "./_pool.ts";
import type { PlannedNode } from "./analysis.ts";

/** A node of the cluster as its host reports it, with the host's name. */
export type ClusterNode = NodeStatus & { host: string };

/** What one admin request to one node gave. */
export type NodeOutcome<R> = { node: ClusterNode; ok: true; value: R } | {
  node: ClusterNode;
  ok: false;
  error: string;
};

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

/**
 * Calls `request` with each node's admin path (`/nodes/<name>`) on its host's control API, `concurrency` nodes at
 * a time, and collects what each gave.
 */
export async function onEveryNode<R>(
  cluster: RunningCluster,
  nodes: readonly ClusterNode[],
  request: (client: HostClient, path: string, node: ClusterNode) => Promise<R>,
  concurrency = 16,
): Promise<NodeOutcome<R>[]> {
  const settled = await settleAll(nodes, concurrency, (node) => {
    const client = cluster.client(node.host);
    if (client === undefined) throw new Error(`No host process named ${node.host} in the cluster`);
    return request(client, `/nodes/${encodeURIComponent(node.name)}`, node);
  });
  return settled.map((result, i): NodeOutcome<R> =>
    result.status === "fulfilled"
      ? { node: nodes[i]!, ok: true, value: result.value }
      : { node: nodes[i]!, ok: false, error: (result.reason as Error).message }
  );
}
