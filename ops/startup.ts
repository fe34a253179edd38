import type { Settings } from "../core/config/mod.ts";
import {
  ALICE_BOB_HOST,
  type ClusterPorts,
  type ClusterShape,
  type NodeSpec,
  planCluster,
  type Stage,
} from "./cluster/plan.ts";
import { type RoleCounts, RunningCluster, STEP_ROLES, sumCounts } from "./cluster/cluster.ts";
import { type ClusterState, type HostArgs, type HostRecord, isHostProcess, StateDir } from "./cluster/state.ts";
import { HostClient, spawnHost, stopHost } from "./cluster/supervisor.ts";
import { CommandError } from "./exit_codes.ts";
import { busyPorts, checkOpenFilesLimit } from "./cluster/preflight.ts";
import { type MonitoringRecord, startLocalStack, writeTargets } from "./monitoring/mod.ts";
import type { NodeRole } from "../roles/mod.ts";
import { type LookupCheck, verifyLookups } from "./lookup_check.ts";

/** Something `cqkd startup` reports while it works. */
export type StartupEvent =
  | { type: "step"; step: string; detail: string }
  | { type: "progress"; tier: string; ready: number; total: number }
  | { type: "tier"; tier: string; ready: number; total: number; seconds: number }
  | { type: "warning"; message: string }
  | { type: "done"; summary: StartupSummary };

/** The closing summary of a startup. */
export interface StartupSummary {
  tiers: Array<{ tier: string; nodes: number; seconds: number }>;
  nodes: number;
  processes: number;
  /** Workers Alice found by lookup, out of all workers. */
  lookup: LookupCheck;
  seconds: number;
  stateFile: string;
  /** The file_sd targets file listing each host process's admin API (for any Prometheus). */
  targetsFile: string;
  /** Prometheus and Alertmanager, when `--monitoring` started them. */
  monitoring?: MonitoringRecord[];
  /** URLs of Alice's and Bob's KMEs (ETSI GS QKD 014), unless key delivery was left off. */
  kmes?: { alice: string; bob: string };
}

/** The key pool behind the KMEs `cqkd startup` starts. */
export interface KeyDeliveryStart {
  /** Bit-flip probability of the simulated link in the pool's sessions. @default {0} */
  noise?: number;
  /** Sessions at once, each on a worker set of its own. @default {4} */
  parallel?: number;
  /** Bits asked of each session. @default {4096} */
  sessionBits?: number;
}

/** Ports of the monitoring stack `cqkd startup --monitoring` starts. */
export interface MonitoringPorts {
  /** @default {9090} */
  prometheusPort?: number;
  /** @default {9093} */
  alertmanagerPort?: number;
  /** @default {15} */
  scrapeIntervalS?: number;
}

/** Options of {@linkcode startCluster}. */
export interface StartupOptions {
  settings: Settings;
  shape: ClusterShape;
  ports: ClusterPorts;
  /** Global cqkd arguments the host processes get too. */
  globalArgs: readonly string[];
  /** Bootstrap heartbeat (also how fast a dead bootstrap drops out of the load balancer). @default {5000} */
  heartbeatMs?: number;
  /** Give up on a step when none of its nodes became ready for this long. @default {300000} */
  stepTimeoutMs?: number;
  /** Also start Prometheus and Alertmanager (when installed) pointed at the cluster. */
  monitoring?: MonitoringPorts;
  /** Start the KMEs and their key pool (false: leave key delivery off). @default {{}} */
  keyDelivery?: KeyDeliveryStart | false;
  onEvent?: (event: StartupEvent) => void;
}

/**
 * `cqkd startup`: brings up the whole network on 127.0.0.1 — host processes, then super, regional and local
 * bootstrap nodes, workers, Alice and Bob, each step gated on the nodes reporting ready — and checks that Alice finds
 * every worker by lookup. The host processes keep running after it returns; the state file records them. On any
 * failure everything started is stopped again: never a half cluster.
 * @throws {CommandError} when a cluster already runs, a port is taken, or a step fails
 */
export async function startCluster(options: StartupOptions): Promise<StartupSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const dir = new StateDir(options.settings.state_dir);
  const lock = await dir.lock();
  const spawned: HostRecord[] = [];
  let others: Promise<PromiseSettledResult<HostRecord>[]> = Promise.resolve([]);
  let token = "";
  try {
    emit({ type: "step", step: "setup", detail: `state in ${dir.dir}` });
    await refuseRunningCluster(dir, emit);
    const plan = (() => {
      try {
        return planCluster(options.shape, options.ports, options.settings.fallback_bootstrap_nodes);
      } catch (error) {
        throw new CommandError(`Cannot plan the cluster: ${(error as Error).message}`);
      }
    })();
    const fixedPorts = plan.stages.flatMap((s) => s.placements.flatMap((p) => p.nodes.map((n) => n.port)))
      .filter((p) => p !== 0);
    const busy = busyPorts(fixedPorts);
    if (busy.length > 0) {
      throw new CommandError(
        `Cannot start the cluster: ${busy.length} of its ports are in use on 127.0.0.1 (${
          busy.slice(0, 10).join(", ")
        }${busy.length > 10 ? ", …" : ""}); stop what holds them or choose other ports`,
      );
    }
    checkOpenFilesLimit(Math.max(options.shape.workersPerHost, fixedPorts.length));

    token = crypto.randomUUID();
    const hostArgs: HostArgs = {
      globalArgs: [...options.globalArgs],
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    };
    emit({ type: "step", step: "hosts", detail: `starting ${plan.hosts.length} host processes` });
    const state: ClusterState = {
      version: 1,
      startedAt: new Date().toISOString(),
      token,
      shape: options.shape,
      ports: { ...options.ports, workers: plan.workerPorts },
      hosts: spawned,
      ...(options.settings.cluster_key_file === "" ? {} : { clusterKeyFile: options.settings.cluster_key_file }),
      hostArgs,
    };
    // Every host process starts at once, and the bootstrap tiers start as soon as theirs runs. Each host is
    // recorded in the state file the moment it runs (writes one after another), so that `cqkd shutdown` can clean
    // up even if this command is killed.
    let recorded = Promise.resolve();
    const spawning = new Map(plan.hosts.map((host) => [
      host.name,
      spawnHost({
        name: host.name,
        state: dir,
        token,
        ...hostArgs,
        ...(host.workerPorts ? { workerPorts: host.workerPorts } : {}),
      }).then(async (record) => {
        spawned.push(record);
        await (recorded = recorded.then(() => dir.write(state)));
        return record;
      }),
    ]));
    others = Promise.allSettled(spawning.values());
    const tiers: StartupSummary["tiers"] = [];
    for (const stage of plan.stages) {
      try {
        await Promise.all(stage.placements.map((p) => spawning.get(p.host)));
      } catch (error) {
        throw new CommandError((error as Error).message, undefined, { cause: error });
      }
      const cluster = new RunningCluster(state, dir);
      tiers.push(await runStage(cluster, stage, options.stepTimeoutMs ?? 300_000, emit));
      await spreadDirectory(cluster, plan.bootstrapHosts, stage);
    }
    const cluster = new RunningCluster(state, dir);

    emit({ type: "step", step: "verify", detail: "Alice looks up every worker" });
    const lookup = await verifyLookups(cluster);
    if (lookup.found < lookup.workers) {
      throw new CommandError(
        `Network check failed: Alice found ${lookup.found} of ${lookup.workers} workers by lookup ` +
          `(not found twice: ${lookup.missing.join(", ")})`,
      );
    }
    const kmes = options.keyDelivery === false ? undefined : await startKmes(cluster, options.keyDelivery ?? {}, emit);
    const targets = spawned.map((h) => ({ process: h.name, admin: { host: "127.0.0.1", port: h.controlPort } }));
    await writeTargets(dir.monitoringDir, targets);
    if (options.monitoring !== undefined) {
      emit({ type: "step", step: "monitoring", detail: "starting Prometheus and Alertmanager" });
      const { started, missing } = await startLocalStack({ dir: dir.monitoringDir, targets, ...options.monitoring });
      for (const { message } of missing) emit({ type: "warning", message: `monitoring: ${message}` });
      state.monitoring = started;
      await dir.write(state);
    }
    const summary: StartupSummary = {
      tiers,
      nodes: tiers.reduce((sum, t) => sum + t.nodes, 0),
      processes: spawned.length,
      lookup,
      seconds: (performance.now() - started) / 1000,
      stateFile: dir.statePath,
      targetsFile: `${dir.monitoringDir}/targets.json`,
      ...(state.monitoring ? { monitoring: state.monitoring } : {}),
      ...(kmes ? { kmes } : {}),
    };
    emit({ type: "done", summary });
    return summary;
  } catch (error) {
    await others; // Host processes still starting must not outlive a failed startup.
    if (spawned.length > 0) {
      emit({ type: "warning", message: "startup failed: stopping the host processes it started" });
      await Promise.allSettled(spawned.map((record) => stopHost(new HostClient(record, token))));
      await dir.clear(spawned.map((h) => h.name));
    }
    throw error;
  } finally {
    await lock.release();
  }
}

/** Starts the KMEs and the key pool in the process of Alice and Bob; returns the KMEs' URLs. */
async function startKmes(
  cluster: RunningCluster,
  request: KeyDeliveryStart,
  emit: (e: StartupEvent) => void,
): Promise<{ alice: string; bob: string }> {
  emit({ type: "step", step: "kme", detail: "starting the KMEs of Alice and Bob and their key pool" });
  const client = cluster.client(ALICE_BOB_HOST);
  if (client === undefined) throw new CommandError("Cannot start key delivery: the process of Alice and Bob is gone");
  return await client.call((api, o) => api.kme.start.$post({ json: request }, o), 60_000);
}

/**
 * After a bootstrap tier came up, one heartbeat from each tier above it, bottom up (the supers twice: they announce
 * to the first super and learn the whole tree from its answer), so that the load balancers know the new nodes
 * before the next step needs them, instead of a heartbeat interval later.
 */
export async function spreadDirectory(cluster: RunningCluster, hosts: readonly string[], stage: Stage): Promise<void> {
  const above: Partial<Record<Stage["tier"], NodeRole[]>> = {
    regional: ["super-bootstrap", "super-bootstrap"],
    local: ["regional-bootstrap", "super-bootstrap", "super-bootstrap"],
  };
  const clients = hosts.flatMap((name) => cluster.client(name) ?? []);
  for (const role of above[stage.tier] ?? []) {
    // One round on every bootstrap host before the next role's: each round builds on the one before.
    await Promise.all(
      clients.map((c) => c.call((api, o) => api.bootstrap.announce.$post({ json: { role } }, o), 60_000)),
    );
  }
}

async function refuseRunningCluster(dir: StateDir, emit: (e: StartupEvent) => void): Promise<void> {
  const existing = await RunningCluster.open(dir);
  if (existing === undefined) return;
  const alive = existing.alive();
  if (alive.length > 0) {
    throw new CommandError(
      `A cluster is already running from ${dir.dir} (${alive.length} host processes, started ` +
        `${existing.state.startedAt}): see it with \`cqkd status\`, stop it with \`cqkd shutdown\``,
    );
  }
  emit({ type: "warning", message: `removing the state of a cluster that no longer runs (${dir.statePath})` });
  await dir.clear(existing.state.hosts.map((h) => h.name));
}

async function runStage(
  cluster: RunningCluster,
  stage: Stage,
  timeoutMs: number,
  emit: (e: StartupEvent) => void,
): Promise<{ tier: string; nodes: number; seconds: number }> {
  const started = performance.now();
  const roles = STEP_ROLES[stage.tier];
  const total = stage.placements.reduce((sum, p) => sum + p.nodes.length, 0);
  const clients = stage.placements.map((p) => cluster.client(p.host)!);
  const post = (pick: (node: NodeSpec) => boolean) =>
    Promise.all(stage.placements.map((p, i) => {
      const nodes = p.nodes.filter(pick);
      return nodes.length === 0
        ? undefined
        : clients[i]!.call((api, o) => api.nodes.$post({ json: { nodes } }, o), 60_000);
    }));
  let last = -1;
  const known: RoleCounts[] = clients.map(() => ({}));
  let progressAt = performance.now();
  let reportedAt = 0;
  // Waits until `target` nodes are ready, or until every node has settled (ready or failed) short of it, or the
  // step's deadline: a node still joining is a straggler (its join retries under load) and gets the time.
  const waitReady = async (target: number) => {
    while (true) {
      const counts = await Promise.all(clients.map((c, i) => pollCounts(c, known[i]!)));
      counts.forEach((c, i) => known[i] = c);
      const sum = sumCounts(counts, roles);
      const now = performance.now();
      if (sum.ready !== last) {
        emit({ type: "progress", tier: stage.tier, ready: sum.ready, total });
        progressAt = now;
      }
      last = sum.ready;
      if (sum.ready >= target) return;
      const settled = sum.ready + sum.failed >= target;
      // A large step on a loaded machine takes long but keeps going: only a step that stopped progressing is late.
      const late = now - progressAt > timeoutMs;
      if (settled || late) throw new CommandError(await missingNodes(cluster, stage, timeoutMs, late));
      if (now - progressAt > STRAGGLER_REPORT_MS && now - reportedAt > STRAGGLER_REPORT_MS) {
        reportedAt = now;
        const { nodes, unreachable } = await stageNodes(cluster, stage);
        const waiting = nodes.filter((n) => n.state !== "ready" && n.state !== "failed");
        const busy = unreachable.length === 0 ? "" : `; host processes too busy to answer: ${unreachable.join(", ")}`;
        emit({
          type: "warning",
          message: `${stage.tier}: ${total - sum.ready - sum.failed} nodes still joining (${names(waiting)})${busy}; ` +
            "waiting for them",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  // The node that starts the network (no seeds) runs before those that join it, which may be in other processes.
  const roots = stage.placements.flatMap((p) => p.nodes.filter((n) => n.seeds.length === 0)).length;
  if (roots > 0) {
    await post((n) => n.seeds.length === 0);
    await waitReady(roots);
  }
  await post((n) => n.seeds.length > 0);
  await waitReady(total);
  const seconds = (performance.now() - started) / 1000;
  emit({ type: "tier", tier: stage.tier, ready: total, total, seconds });
  return { tier: stage.tier, nodes: total, seconds };
}

/** How long without a node becoming ready before startup names the nodes it is waiting for. */
const STRAGGLER_REPORT_MS = 5000;

async function stageNodes(cluster: RunningCluster, stage: Stage) {
  const wanted = new Set(stage.placements.flatMap((p) => p.nodes.map((n) => n.name)));
  const { nodes, unreachable } = await cluster.nodes();
  return { nodes: nodes.filter((n) => wanted.has(n.name)), unreachable };
}

function names(nodes: ReadonlyArray<{ name: string }>, most = 10): string {
  const shown = nodes.slice(0, most).map((n) => n.name).join(", ");
  return nodes.length > most ? `${shown} and ${nodes.length - most} more` : shown;
}

/** Why a step failed: which of its nodes are not ready, and the first failed one's error. */
async function missingNodes(cluster: RunningCluster, stage: Stage, timeoutMs: number, late: boolean) {
  const { nodes, unreachable } = await stageNodes(cluster, stage);
  const missing = nodes.filter((n) => n.state !== "ready");
  const failed = missing.find((n) => n.state === "failed");
  const when = late ? `and none became ready for ${timeoutMs / 1000} s` : "once every other node had settled";
  return `Cannot start the ${stage.tier} nodes: ${missing.length} not ready ${when}: ${names(missing)}` +
    (failed ? `; e.g. ${failed.name}: ${failed.error}` : "") +
    (unreachable.length > 0 ? `; host processes not answering: ${unreachable.join(", ")}` : "");
}

/**
 * A host's node counts, or the last ones known while it is too busy to answer (a host starting a thousand nodes
 * on a loaded machine may not answer within the poll's timeout); a host process that is gone fails the step.
 */
async function pollCounts(client: HostClient, last: RoleCounts): Promise<RoleCounts> {
  try {
    return (await client.call((api, o) => api.health.$get({}, o))).roles;
  } catch (error) {
    if (!isHostProcess(client.record.pid, client.record.name)) throw error;
    return last;
  }
}
