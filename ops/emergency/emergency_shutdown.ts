import type { Settings } from "../../core/config/mod.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import { StateDir } from "../cluster/state.ts";
import { stopHost } from "../cluster/supervisor.ts";
import { stopLocalStack } from "../monitoring/mod.ts";
import type { ShutdownReport } from "../shutdown.ts";

/** What `cqkd emergency shutdown` did: as `cqkd shutdown` reports, with the state file it kept. */
export type EmergencyStopReport = Omit<ShutdownReport, "unsettled"> & {
  /** The state file, kept for `cqkd emergency recover`. */
  stateFile: string;
};

/**
 * `cqkd emergency shutdown` (docs/operations.md#emergency): stops every process of the cluster at once — each
 * host process gets SIGTERM (it closes its nodes without waiting for any slot to settle) and SIGKILL if it is not
 * gone 3 s later, Prometheus and Alertmanager likewise — and keeps the state file, marked stopped, so that
 * `cqkd emergency recover` starts the same cluster again (same plan, ports, token and settings). `cqkd startup`
 * would discard it and start afresh; `cqkd shutdown` removes it. Takes no lock: it must work even while another
 * command hangs.
 */
export async function emergencyStop(settings: Settings): Promise<EmergencyStopReport> {
  const started = performance.now();
  const dir = new StateDir(settings.state_dir);
  const cluster = await RunningCluster.open(dir);
  if (cluster === undefined) {
    return { wasRunning: false, hosts: [], monitoring: [], stateFile: dir.statePath, seconds: 0 };
  }
  const alive = cluster.alive();
  const [hosts, monitoring] = await Promise.all([
    Promise.all(cluster.clients.map(async (client) => ({
      name: client.record.name,
      outcome: alive.includes(client) ? await stopHost(client, { immediate: true }) : "already gone" as const,
    }))),
    stopLocalStack(cluster.state.monitoring ?? [], 3000),
  ]);
  const { monitoring: _, ...state } = cluster.state;
  await dir.write({ ...state, stoppedAt: new Date().toISOString() });
  return {
    wasRunning: true,
    hosts,
    monitoring,
    stateFile: dir.statePath,
    seconds: (performance.now() - started) / 1000,
  };
}
