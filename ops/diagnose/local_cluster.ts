import type { Settings } from "../../core/config/mod.ts";
import type { NodeDiagnostics } from "../../core/services/mod.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import type { NodeStatus } from "../cluster/fleet.ts";
import { type ClusterState, type HostRecord, StateDir } from "../cluster/state.ts";
import { CommandError } from "../exit_codes.ts";

/** A node of the local cluster: what its host process reports of it, and its diagnosis while it runs. */
export type ClusterNode = NodeStatus & { host: string; diagnostics?: NodeDiagnostics };

/** One host process of the local cluster, as the diagnosis saw it. */
export interface HostView {
  record: HostRecord;
  /** Worker ports its registry skipped because another process held them. */
  conflicts: number[];
  /** Joiners holding a slot on its bootstrap nodes. */
  leases: number;
}

/** The running local cluster: its state file, the host processes that answered, and every node they run. */
export interface ClusterView {
  state: ClusterState;
  hosts: HostView[];
  /** Host processes that are gone or did not answer. */
  unreachable: string[];
  nodes: ClusterNode[];
  /** The cluster's running nodes, in the hosts' start order: the ones with a diagnosis. */
  running(): Array<ClusterNode & { diagnostics: NodeDiagnostics }>;
}

/** How long a host process may take to describe all of its nodes. */
const HOST_TIMEOUT_MS = 15_000;

/**
 * Reads the running local cluster through its host processes' admin APIs (`/nodes`, `/diagnose`,
 * `/ports/conflicts`, `/leases`), with the token of the state file.
 * @throws {CommandError} when no cluster is running
 */
export async function readClusterView(settings: Settings): Promise<ClusterView> {
  const cluster = await RunningCluster.open(new StateDir(settings.state_dir));
  if (cluster === undefined) {
    throw new CommandError(
      "No cluster is running (start one with `cqkd startup`, or diagnose a node with --node host:port)",
    );
  }
  const alive = cluster.alive();
  const unreachable = cluster.clients.filter((c) => !alive.includes(c)).map((c) => c.record.name);
  const hosts: HostView[] = [];
  const nodes: ClusterNode[] = [];
  await Promise.all(alive.map(async (client) => {
    try {
      const [statuses, diagnosis, conflicts, leases] = await Promise.all([
        client.call((api, o) => api.nodes.$get({}, o), HOST_TIMEOUT_MS),
        client.call((api, o) => api.diagnose.$get({}, o), HOST_TIMEOUT_MS),
        client.call((api, o) => api.ports.conflicts.$get({}, o), HOST_TIMEOUT_MS),
        client.call((api, o) => api.leases.$get({}, o), HOST_TIMEOUT_MS),
      ]);
      const byName = new Map(diagnosis.nodes.map((d) => [d.name, d]));
      for (const status of statuses) {
        const diagnostics = byName.get(status.name);
        nodes.push({ ...status, host: client.record.name, ...(diagnostics ? { diagnostics } : {}) });
      }
      hosts.push({ record: client.record, conflicts, leases: leases.length });
    } catch {
      unreachable.push(client.record.name);
    }
  }));
  const order = (name: string) => cluster.clients.findIndex((c) => c.record.name === name);
  hosts.sort((a, b) => order(a.record.name) - order(b.record.name));
  nodes.sort((a, b) => order(a.host) - order(b.host));
  return {
    state: cluster.state,
    hosts,
    unreachable,
    nodes,
    running: () =>
      nodes.filter((n): n is ClusterNode & { diagnostics: NodeDiagnostics } => n.diagnostics !== undefined),
  };
}
