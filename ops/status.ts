import type { Settings } from "../core/config/mod.ts";
import { RunningCluster } from "./cluster/cluster.ts";
import { expectedByStep, STEP_ROLES } from "./cluster/cluster.ts";
import type { NodeStatus } from "./cluster/fleet.ts";
import { residentMb, StateDir } from "./cluster/state.ts";

/** One host process as `cqkd status` sees it. */
export interface HostStatus {
  name: string;
  pid: number;
  alive: boolean;
  rssMb: number;
  nodes: number;
  ready: number;
}

/** One startup tier as `cqkd status` sees it. */
export interface TierStatus {
  tier: string;
  expected: number;
  ready: number;
  failed: number;
}

/** Nodes using one set of Kademlia parameters (the adaptive parameter table decides them). */
export interface ParameterGroup {
  alpha: number;
  k: number;
  timeoutMs: number;
  refreshIntervalS: number;
  nodes: number;
}

/** What `cqkd status` reports. */
export interface ClusterStatus {
  running: boolean;
  /** Every host alive and every expected node ready. */
  healthy: boolean;
  stateFile: string;
  startedAt?: string;
  hosts: HostStatus[];
  tiers: TierStatus[];
  rssMb: number;
  /** The parameters in force, grouped, most used first. */
  parameters: ParameterGroup[];
  /** The median of the nodes' network-size estimates. */
  estimatedNetworkSize?: number;
  /** Routing-table contacts by health status, summed over the nodes. */
  health: Record<string, number>;
}

/** Reads the state file back and asks every host process how its nodes are. */
export async function clusterStatus(settings: Settings): Promise<ClusterStatus> {
  const dir = new StateDir(settings.state_dir);
  const cluster = await RunningCluster.open(dir);
  if (cluster === undefined) {
    return {
      running: false,
      healthy: false,
      stateFile: dir.statePath,
      hosts: [],
      tiers: [],
      rssMb: 0,
      parameters: [],
      health: {},
    };
  }
  const { nodes } = await cluster.nodes();
  const hosts = cluster.clients.map((client): HostStatus => {
    const { name, pid } = client.record;
    const own = nodes.filter((n) => n.host === name);
    return {
      name,
      pid,
      alive: cluster.alive().includes(client),
      rssMb: Math.round(residentMb(pid)),
      nodes: own.length,
      ready: own.filter((n) => n.state === "ready").length,
    };
  });
  const expected = expectedByStep(cluster.state.shape);
  const tiers = Object.entries(STEP_ROLES).map(([tier, roles]): TierStatus => {
    const own = nodes.filter((n) => (roles as readonly string[]).includes(n.role));
    return {
      tier,
      expected: expected[tier as keyof typeof STEP_ROLES],
      ready: own.filter((n) => n.state === "ready").length,
      failed: own.filter((n) => n.state === "failed").length,
    };
  });
  const running = hosts.some((h) => h.alive);
  return {
    running,
    healthy: hosts.every((h) => h.alive) && tiers.every((t) => t.ready === t.expected),
    stateFile: dir.statePath,
    startedAt: cluster.state.startedAt,
    hosts,
    tiers,
    rssMb: hosts.reduce((sum, h) => sum + h.rssMb, 0),
    ...servicesView(nodes),
  };
}

/** What the nodes' services report, summed up: parameter sets in force, network size, contacts' health. */
function servicesView(
  nodes: readonly NodeStatus[],
): Pick<ClusterStatus, "parameters" | "estimatedNetworkSize" | "health"> {
  const groups = new Map<string, ParameterGroup>();
  const health: Record<string, number> = {};
  const sizes: number[] = [];
  for (const { parameters: p, health: counts, networkSize } of nodes) {
    if (p !== undefined) {
      const key = `${p.alpha}/${p.k}/${p.timeoutMs}/${p.refreshIntervalS}`;
      const group = groups.get(key) ??
        { alpha: p.alpha, k: p.k, timeoutMs: p.timeoutMs, refreshIntervalS: p.refreshIntervalS, nodes: 0 };
      group.nodes++;
      groups.set(key, group);
    }
    for (const [status, n] of Object.entries(counts ?? {})) health[status] = (health[status] ?? 0) + n;
    if (networkSize !== undefined) sizes.push(networkSize);
  }
  sizes.sort((a, b) => a - b);
  return {
    parameters: [...groups.values()].sort((a, b) => b.nodes - a.nodes),
    ...(sizes.length > 0 ? { estimatedNetworkSize: sizes[Math.floor(sizes.length / 2)]! } : {}),
    health,
  };
}
