import type { Settings } from "../core/config/mod.ts";
import { RunningCluster } from "./cluster/cluster.ts";
import { StateDir } from "./cluster/state.ts";
import { stopHost } from "./cluster/supervisor.ts";
import { stopLocalStack } from "./monitoring/mod.ts";
import type { NodeRole } from "../roles/mod.ts";

/** Something `cqkd shutdown` reports while it works. */
export type ShutdownEvent =
  | { type: "step"; step: string; detail: string }
  | { type: "warning"; message: string };

/** What `cqkd shutdown` did. */
export interface ShutdownReport {
  /** False when no cluster was recorded: nothing to do. */
  wasRunning: boolean;
  hosts: Array<{ name: string; outcome: "stopped" | "terminated" | "killed" | "already gone" }>;
  /** Prometheus and Alertmanager started by `startup --monitoring`. */
  monitoring: Array<{ tool: string; outcome: "terminated" | "killed" | "already gone" }>;
  /** Worker and Alice/Bob leases the bootstrap nodes still held when the settle time ran out. */
  unsettled: number;
  seconds: number;
}

/** Options of {@linkcode stopCluster}. */
export interface ShutdownOptions {
  settings: Settings;
  /** Longest wait for the bootstrap nodes to see every worker leave. @default {15000} */
  settleTimeoutMs?: number;
  onEvent?: (event: ShutdownEvent) => void;
}

/**
 * `cqkd shutdown` (docs/operations.md#the-local-cluster): stops workers (and Alice and Bob), waits until the bootstrap
 * nodes have released their slots, stops the regional and local tiers, then the super tier, ends the host
 * processes (escalating to signals if one hangs) and removes the state. Idempotent: with nothing running it only
 * says so.
 */
export async function stopCluster(options: ShutdownOptions): Promise<ShutdownReport> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const dir = new StateDir(options.settings.state_dir);
  const lock = await dir.lock();
  try {
    const cluster = await RunningCluster.open(dir);
    if (cluster === undefined) return { wasRunning: false, hosts: [], monitoring: [], unsettled: 0, seconds: 0 };
    const alive = cluster.alive();
    const stopRoles = async (roles: NodeRole[], detail: string) => {
      emit({ type: "step", step: "stop", detail });
      const results = await Promise.allSettled(
        alive.map((c) => c.call((api, o) => api.nodes.stop.$post({ json: { roles } }, o), 60_000)),
      );
      for (const result of results) {
        if (result.status === "rejected") emit({ type: "warning", message: (result.reason as Error).message });
      }
    };
    const { nodes } = await cluster.nodes();
    const leaving = new Set(
      nodes.filter((n) => ["worker", "alice", "bob"].includes(n.role) && n.id).map((n) => n.id!),
    );
    await stopRoles(["worker", "alice", "bob"], `stopping ${leaving.size} workers, Alice and Bob`);
    emit({ type: "step", step: "settle", detail: "waiting for the bootstrap nodes to release their slots" });
    const unsettled = await settle(cluster, leaving, options.settleTimeoutMs ?? 15_000);
    if (unsettled > 0) emit({ type: "warning", message: `${unsettled} slots were not released in time; going on` });
    await stopRoles(["local-bootstrap", "regional-bootstrap"], "stopping the local and regional bootstrap nodes");
    await stopRoles(["super-bootstrap"], "stopping the super bootstrap nodes");
    emit({ type: "step", step: "cleanup", detail: `ending ${alive.length} host processes` });
    const hosts = await Promise.all(cluster.clients.map(async (client) => ({
      name: client.record.name,
      outcome: alive.includes(client) ? await stopHost(client) : "already gone" as const,
    })));
    const recorded = cluster.state.monitoring ?? [];
    if (recorded.length > 0) emit({ type: "step", step: "monitoring", detail: "stopping Prometheus and Alertmanager" });
    const monitoring = await stopLocalStack(recorded);
    await dir.clear(cluster.state.hosts.map((h) => h.name));
    return { wasRunning: true, hosts, monitoring, unsettled, seconds: (performance.now() - started) / 1000 };
  } finally {
    await lock.release();
  }
}

/** Waits until no bootstrap node holds a slot of the stopped nodes; returns how many are still held at the end. */
async function settle(cluster: RunningCluster, leaving: Set<string>, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const answers = await Promise.allSettled(cluster.alive().map((c) => c.call((api, o) => api.leases.$get({}, o))));
    const held = answers.flatMap((a) => a.status === "fulfilled" ? a.value : []).filter((id) => leaving.has(id));
    if (held.length === 0 || performance.now() > deadline) return held.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
