import type { NodeRole } from "../../roles/mod.ts";
import type { NodeState, NodeStatus } from "./fleet.ts";
import type { ClusterShape } from "./plan.ts";
import { HostClient } from "./supervisor.ts";
import { type ClusterState, isHostProcess, StateDir } from "./state.ts";

/** Node counts of one host, by role and state, as GET /health reports them. */
export type RoleCounts = Record<string, Record<NodeState, number>>;

/** The roles of each startup step, in startup order. */
export const STEP_ROLES = {
  super: ["super-bootstrap"],
  regional: ["regional-bootstrap"],
  local: ["local-bootstrap"],
  worker: ["worker"],
  "alice-bob": ["alice", "bob"],
} as const satisfies Record<string, readonly NodeRole[]>;

/** How many nodes each startup step of a cluster of `shape` starts. */
export function expectedByStep(shape: ClusterShape): Record<keyof typeof STEP_ROLES, number> {
  return {
    super: shape.superCount,
    regional: shape.regionalCount,
    local: shape.localCount,
    worker: shape.workers,
    "alice-bob": 2,
  };
}

/** A recorded cluster with a client for each of its host processes. */
export class RunningCluster {
  readonly clients: HostClient[];
  constructor(readonly state: ClusterState, readonly dir: StateDir) {
    this.clients = state.hosts.map((h) => new HostClient(h, state.token));
  }

  /** The recorded cluster of a state directory, or `undefined`. */
  static async open(dir: StateDir): Promise<RunningCluster | undefined> {
    const state = await dir.read();
    return state === undefined ? undefined : new RunningCluster(state, dir);
  }

  /** Clients of the host processes that still run. */
  alive(): HostClient[] {
    return this.clients.filter((c) => isHostProcess(c.record.pid, c.record.name));
  }

  client(name: string): HostClient | undefined {
    return this.clients.find((c) => c.record.name === name);
  }

  /** Every node of every live host (hosts that do not answer are left out and named in `unreachable`). */
  async nodes(): Promise<{ nodes: Array<NodeStatus & { host: string }>; unreachable: string[] }> {
    const answers = await Promise.allSettled(
      this.alive().map((c) => c.call((api, o) => api.nodes.$get({}, o), 10_000)),
    );
    const nodes: Array<NodeStatus & { host: string }> = [];
    const unreachable: string[] = this.clients.filter((c) => !this.alive().includes(c)).map((c) => c.record.name);
    this.alive().forEach((client, i) => {
      const answer = answers[i]!;
      if (answer.status === "fulfilled") nodes.push(...answer.value.map((n) => ({ ...n, host: client.record.name })));
      else unreachable.push(client.record.name);
    });
    return { nodes, unreachable };
  }
}

/** Sums per-role counts over hosts, for the given roles. */
export function sumCounts(counts: readonly RoleCounts[], roles: readonly string[]): Record<NodeState, number> {
  const total: Record<NodeState, number> = { starting: 0, joining: 0, ready: 0, failed: 0, stopped: 0 };
  for (const host of counts) {
    for (const role of roles) {
      for (const [state, n] of Object.entries(host[role] ?? {})) total[state as NodeState] += n;
    }
  }
  return total;
}
