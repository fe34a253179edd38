import type { Settings } from "../core/config/mod.ts";
import {
  ALICE_BOB_HOST,
  BOOTSTRAP_HOST,
  type ClusterPorts,
  type ClusterShape,
  planCluster,
  type Stage,
} from "./cluster/plan.ts";
import { RunningCluster, STEP_ROLES, sumCounts } from "./cluster/cluster.ts";
import { type ClusterState, type HostArgs, type HostRecord, StateDir } from "./cluster/state.ts";
import { HostClient, spawnHost, stopHost } from "./cluster/supervisor.ts";
import { CommandError } from "./exit_codes.ts";
import { busyPorts, checkOpenFilesLimit } from "./cluster/preflight.ts";
import { type MonitoringRecord, startLocalStack, writeTargets } from "./monitoring/mod.ts";
import type { NodeRole } from "../roles/mod.ts";

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
  /** Give up on a step after this long. @default {300000} */
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
      await spreadDirectory(cluster, stage);
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

/** What {@linkcode verifyLookups} found. */
export interface LookupCheck {
  found: number;
  workers: number;
  /** Of those found, how many only on the second lookup. */
  secondTry: number;
  /** Names of the workers not found. */
  missing: string[];
}

/** How long a worker whose lookup missed is given before it is looked up again. */
const SECOND_LOOKUP_DELAY_MS = 2000;

/**
 * Workers whose ids Alice finds by lookup, out of all workers of the cluster. A worker missed is looked up once more
 * after {@linkcode SECOND_LOOKUP_DELAY_MS}: right after a thousand joins a node may be known to few tables yet, which
 * their refresh settles; the count found only then is reported apart.
 */
export async function verifyLookups(cluster: RunningCluster): Promise<LookupCheck> {
  const { nodes } = await cluster.nodes();
  const workers = nodes.filter((n) => n.role === "worker" && n.state === "ready" && n.id !== undefined);
  const alice = nodes.find((n) => n.role === "alice" && n.state === "ready");
  const client = alice && cluster.client(alice.host);
  if (client === undefined) throw new CommandError("Network check failed: Alice is not running");
  const find = (ids: string[]) =>
    client.call((api, o) => api.find.$post({ json: { from: alice!.name, ids } }, o), 120_000);
  const first = await find(workers.map((w) => w.id!));
  let missing = first.missing;
  if (missing.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, SECOND_LOOKUP_DELAY_MS));
    missing = (await find(missing)).missing;
  }
  return {
    found: workers.length - missing.length,
    workers: workers.length,
    secondTry: first.missing.length - missing.length,
    missing: workers.filter((w) => missing.includes(w.id!)).map((w) => w.name),
  };
}

/**
 * After a bootstrap tier came up, one heartbeat from each tier above it, bottom up (the supers twice: they announce
 * to the first super and learn the whole tree from its answer), so that the load balancers know the new nodes
 * before the next step needs them, instead of a heartbeat interval later.
 */
export async function spreadDirectory(cluster: RunningCluster, stage: Stage): Promise<void> {
  const above: Partial<Record<Stage["tier"], NodeRole[]>> = {
    regional: ["super-bootstrap", "super-bootstrap"],
    local: ["regional-bootstrap", "super-bootstrap", "super-bootstrap"],
  };
  const host = cluster.client(BOOTSTRAP_HOST);
  for (const role of above[stage.tier] ?? []) {
    await host?.call((api, o) => api.bootstrap.announce.$post({ json: { role } }, o), 60_000);
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
  await Promise.all(
    stage.placements.map((p, i) =>
      clients[i]!.call((api, o) => api.nodes.$post({ json: { nodes: p.nodes } }, o), 60_000)
    ),
  );
  let last = -1;
  while (true) {
    const counts = await Promise.all(clients.map((c) => c.call((api, o) => api.health.$get({}, o))));
    const sum = sumCounts(counts.map((c) => c.roles), roles);
    if (sum.failed > 0) {
      const { nodes } = await cluster.nodes();
      const failed = nodes.filter((n) => n.state === "failed" && (roles as readonly string[]).includes(n.role));
      throw new CommandError(
        `Cannot start the ${stage.tier} nodes: ${sum.failed} failed, e.g. ${failed[0]?.name}: ${failed[0]?.error}`,
      );
    }
    if (sum.ready !== last) emit({ type: "progress", tier: stage.tier, ready: sum.ready, total });
    last = sum.ready;
    if (sum.ready >= total) break;
    if (performance.now() - started > timeoutMs) {
      throw new CommandError(
        `The ${stage.tier} nodes were not ready after ${timeoutMs / 1000} s (${sum.ready}/${total})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  emit({ type: "tier", tier: stage.tier, ready: total, total, seconds });
  return { tier: stage.tier, nodes: total, seconds };
}
