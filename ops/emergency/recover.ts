import type { Settings } from "../../core/config/mod.ts";
import type { RunningCluster } from "../cluster/cluster.ts";
import type { NodeStatus } from "../cluster/fleet.ts";
import type { NodeSpec, Stage, TierName } from "../cluster/plan.ts";
import { type FallbackMode, type HostArgs, isHostProcess } from "../cluster/state.ts";
import { spawnHost, stopHost } from "../cluster/supervisor.ts";
import { CommandError } from "../exit_codes.ts";
import { spreadDirectory } from "../startup.ts";
import { type Check, verifyCluster } from "../verify.ts";
import type { FleetOutcome } from "../cluster/fleet_routes.ts";
import { clusterPlan, type HostsOutcome, onEveryHost, openCluster, readTables } from "./_cluster_ops.ts";
import { StaticPorts } from "./_static_ports.ts";
import { isTier } from "./_tiers.ts";

/** Something `cqkd emergency recover` reports while it works. */
export type RecoverEvent = { type: "step"; step: string; detail: string } | { type: "warning"; message: string };

/** Options of {@linkcode recoverCluster}. */
export interface RecoverOptions {
  settings: Settings;
  /** Longest wait for the restarted nodes of one tier to be ready. @default {120000} */
  readyTimeoutMs?: number;
  onEvent?: (event: RecoverEvent) => void;
}

/** How the nodes of one tier were started again. */
export interface RestartedTier {
  tier: string;
  /** Names of the nodes started again. */
  restarted: string[];
  /** How many of them were ready in time. */
  ready: number;
  failed: Array<{ name: string; error: string }>;
}

/** What `cqkd emergency recover` did, and the `verify network` checks that followed. */
export interface RecoverReport {
  hosts: Array<{ name: string; outcome: "running" | "restarted" }>;
  /** Contacts of nodes that are gone, removed from the routing tables (and how many tables had some). */
  pruned: { contacts: number; tables: number };
  tiers: RestartedTier[];
  /** Nodes asked to join again (through the super tier, or the static list in fallback mode), and failures. */
  rejoined: { nodes: number; failed: number; through: string[] };
  /** Nodes asked to refresh every bucket, and failures (a host that did not answer counts one). */
  refreshed: { nodes: number; failed: number };
  checks: Check[];
  /** Every check of `verify network` passed. */
  ok: boolean;
  seconds: number;
}

/** What restarting the nodes of a stage needs. */
interface Restart {
  cluster: RunningCluster;
  /** Names of isolated nodes: they start again with a new id. */
  isolated: ReadonlySet<string>;
  fallback: FallbackMode | undefined;
  /** Bootstrap addresses with their tier (the seeds of a node in fallback mode name theirs). */
  tierAt: ReadonlyMap<string, TierName>;
  staticPorts: StaticPorts | undefined;
  readyTimeoutMs: number;
  emit: (event: RecoverEvent) => void;
}

/**
 * `cqkd emergency recover` (docs/operations.md#emergency): picks up the recorded cluster, also after
 * `cqkd emergency shutdown`. Host processes that are gone (or hang) are started again as startup started them;
 * the contacts of nodes that are gone are removed from every routing table; then, tier by tier in startup order, every node of the plan that is stopped, failed or missing is started again
 * from its spec (isolated nodes too, with a new id), each tier ready before the next; then every node rejoins
 * (`/fleet/ops/rejoin` through the super tier, or the static list in fallback mode: this also merges parts a
 * failure split apart) and refreshes every bucket (`/fleet/ops/refresh`); last, `verify network` runs.
 * @throws {CommandError} when no cluster is recorded, or its state does not say how its hosts were started
 */
export async function recoverCluster(options: RecoverOptions): Promise<RecoverReport> {
  const started = performance.now();
  const { settings } = options;
  const emit = options.onEvent ?? (() => {});
  const recorded = await openCluster(settings);
  const lock = await recorded.dir.lock();
  try {
    const { hostArgs, fallback } = recorded.state;
    if (hostArgs === undefined) {
      throw new CommandError(
        "Cannot recover the cluster: its state does not say how its host processes were started (an older cqkd " +
          "started it); stop it with `cqkd shutdown` and start it again",
      );
    }
    emit({ type: "step", step: "hosts", detail: `checking ${recorded.clients.length} host processes` });
    const hosts = await reviveHosts(recorded, hostArgs);
    const cluster = await openCluster(settings);
    const plan = clusterPlan(cluster, settings);
    const specs = plan.stages.flatMap((s) => s.placements.flatMap((p) => p.nodes.map((spec) => ({ spec, s }))));
    const restart: Restart = {
      cluster,
      isolated: new Set((cluster.state.isolated ?? []).map((i) => i.name)),
      fallback,
      tierAt: new Map(specs.flatMap(({ spec, s }) => isTier(s.tier) ? [[addressOf(spec), s.tier]] : [])),
      staticPorts: fallback && new StaticPorts(fallback.staticPort, new Set(specs.map(({ spec }) => spec.port))),
      readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
      emit,
    };
    emit({ type: "step", step: "prune", detail: "removing contacts of nodes that are gone from the routing tables" });
    const pruned = await pruneDeadContacts(cluster);
    const tiers: RestartedTier[] = [];
    for (const stage of plan.stages) {
      const tier = await restartStage(restart, stage);
      tiers.push(tier);
      if (tier.restarted.length > 0) await spreadDirectory(cluster, stage);
    }
    const supers = specs.filter(({ spec }) => spec.role === "super-bootstrap").map(({ spec }) => addressOf(spec));
    const reconnected = await reconnect(cluster, fallback?.peers ?? supers, emit);
    const restarted = new Set(tiers.flatMap((t) => t.restarted));
    const { isolated, stoppedAt: _, ...state } = (await cluster.dir.read()) ?? cluster.state;
    const still = (isolated ?? []).filter((i) => !restarted.has(i.name));
    await cluster.dir.write({ ...state, ...(still.length > 0 ? { isolated: still } : {}) });
    emit({ type: "step", step: "verify", detail: "verify network" });
    const checks = await verifyCluster(settings, "network");
    return {
      hosts,
      pruned,
      tiers,
      ...reconnected,
      checks,
      ok: checks.every((c) => c.ok),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await lock.release();
  }
}

/**
 * Starts again every host process that is gone, or runs without answering (it is killed first), with the
 * arguments startup gave it, and records the new pids and control ports.
 */
async function reviveHosts(cluster: RunningCluster, hostArgs: HostArgs): Promise<RecoverReport["hosts"]> {
  const { state, dir } = cluster;
  const outcomes = await Promise.all(cluster.clients.map(async (client) => {
    const { name, pid, workerPorts } = client.record;
    if (isHostProcess(pid, name)) {
      if (await client.call((api, o) => api.health.$get({}, o)).then(() => true, () => false)) {
        return { name, outcome: "running" as const };
      }
      await stopHost(client, { immediate: true });
    }
    const record = await spawnHost({
      name,
      state: dir,
      token: state.token,
      ...hostArgs,
      ...(workerPorts ? { workerPorts } : {}),
    });
    state.hosts = state.hosts.map((h) => h.name === name ? record : h);
    return { name, outcome: "restarted" as const };
  }));
  await dir.write(state);
  return outcomes;
}

/**
 * Removes from every running node's routing table the contacts that are no running node of the cluster: nodes
 * that died (their ids do not come back: a restarted node has a new one), clients that left. Each would cost a
 * full RPC timeout to every lookup, join and refresh that meets it before it is found dead. A removed contact's
 * slot goes to the freshest contact of the bucket's replacement cache, which may be dead too: hence a few passes.
 */
async function pruneDeadContacts(cluster: RunningCluster, passes = 4): Promise<RecoverReport["pruned"]> {
  const { nodes } = await cluster.nodes();
  const members = new Set(
    nodes.flatMap((n) => n.id !== undefined && n.state !== "stopped" && n.state !== "failed" ? [n.id] : []),
  );
  const pruned = { contacts: 0, tables: 0 };
  for (let pass = 0; pass < passes; pass++) {
    const tables = await readTables(cluster);
    const dead = [...new Set(tables.flatMap((t) => t.contacts.filter((id) => !members.has(id))))];
    if (dead.length === 0) break;
    const { nodes: outcomes } = await onEveryHost(
      cluster,
      (client) => client.call((api, o) => api.fleet.ops.isolate.$post({ json: { ids: dead } }, o), 60_000),
    );
    const removed = outcomes.flatMap((o) => o.ok ? [o.removed] : []);
    pruned.contacts += removed.reduce((a, b) => a + b, 0);
    if (pass === 0) pruned.tables = removed.filter((n) => n > 0).length;
  }
  return pruned;
}

/** Starts again the nodes of a stage that are stopped, failed, missing or isolated, and waits until they are ready. */
async function restartStage(restart: Restart, stage: Stage): Promise<RestartedTier> {
  const { cluster, isolated } = restart;
  const { nodes: statuses, unreachable } = await cluster.nodes();
  const current = new Map(statuses.map((n) => [n.name, n]));
  const due = (spec: NodeSpec) => {
    const state = current.get(spec.name)?.state;
    return state === undefined || state === "stopped" || state === "failed" || isolated.has(spec.name);
  };
  // A host that did not say what runs on it is left alone: its nodes may all be fine.
  for (const host of unreachable) {
    if (stage.placements.some((p) => p.host === host)) {
      restart.emit({
        type: "warning",
        message: `host process ${host} does not answer: its ${stage.tier} nodes are left as they are`,
      });
    }
  }
  const placements = stage.placements
    .filter(({ host }) => !unreachable.includes(host))
    .map(({ host, nodes }) => ({ host, nodes: nodes.filter(due).map((spec) => respec(restart, spec)) }))
    .filter((p) => p.nodes.length > 0);
  const names = placements.flatMap((p) => p.nodes.map((n) => n.name));
  if (names.length === 0) return { tier: stage.tier, restarted: [], ready: 0, failed: [] };
  restart.emit({ type: "step", step: "restart", detail: `starting ${names.length} ${stage.tier} nodes again` });
  await Promise.all(placements.map(async ({ host, nodes }) => {
    const client = cluster.client(host)!;
    const running = nodes.filter((n) => ["starting", "joining", "ready"].includes(current.get(n.name)?.state ?? ""));
    if (running.length > 0) {
      await client.call((api, o) => api.nodes.stop.$post({ json: { names: running.map((n) => n.name) } }, o), 60_000);
    }
    await client.call((api, o) => api.nodes.$post({ json: { nodes } }, o), 60_000);
  }));
  const settled = await untilSettled(cluster, new Set(names), restart.readyTimeoutMs);
  const failed = names.flatMap((name) => {
    const node = settled.get(name);
    return node?.state === "ready" ? [] : [{ name, error: node?.error ?? `not ready (${node?.state ?? "missing"})` }];
  });
  for (const { name, error } of failed) restart.emit({ type: "warning", message: `${name}: ${error}` });
  return { tier: stage.tier, restarted: names, ready: names.length - failed.length, failed };
}

/**
 * The spec a node starts again with: as planned, but in fallback mode through the static list (a first super,
 * which starts a network rather than join one, keeps no seeds) and, for a worker, on a static port.
 */
function respec(restart: Restart, spec: NodeSpec): NodeSpec {
  const { fallback, staticPorts, tierAt } = restart;
  if (fallback === undefined) return spec;
  const own = addressOf(spec);
  const seeds = spec.seeds.length === 0 ? [] : fallback.peers.filter((p) => p !== own).map((address) => ({
    address,
    // A seed's tier only labels where the node entered; an address outside the tiers is a top-level entry point.
    tier: tierAt.get(address) ?? "super",
  }));
  return { ...spec, seeds, port: spec.port === 0 ? staticPorts!.take() : spec.port };
}

/** Polls the hosts until every named node is ready or failed, or the time is up; returns their last statuses. */
async function untilSettled(
  cluster: RunningCluster,
  names: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Map<string, NodeStatus>> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const nodes = new Map((await cluster.nodes()).nodes.filter((n) => names.has(n.name)).map((n) => [n.name, n]));
    const settled = [...names].every((name) => ["ready", "failed"].includes(nodes.get(name)?.state ?? ""));
    if (settled || performance.now() > deadline) return nodes;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Every node rejoins through `through` (pings, lookup of its own id, far buckets: the parts a failure split apart
 * merge again, and restarted nodes become known), then refreshes every bucket.
 */
async function reconnect(
  cluster: RunningCluster,
  through: string[],
  emit: (event: RecoverEvent) => void,
): Promise<Pick<RecoverReport, "rejoined" | "refreshed">> {
  emit({ type: "step", step: "rejoin", detail: `every node rejoins through ${through.join(", ")}` });
  const rejoined = await onEveryHost(
    cluster,
    (client) => client.call((api, o) => api.fleet.ops.rejoin.$post({ json: { peers: through } }, o), 60_000),
  );
  emit({ type: "step", step: "refresh", detail: "every node refreshes every bucket" });
  const refreshed = await onEveryHost(
    cluster,
    (client) => client.call((api, o) => api.fleet.ops.refresh.$post({ json: {} }, o), 60_000),
  );
  return { rejoined: { ...tally(rejoined), through }, refreshed: tally(refreshed) };
}

/** How many nodes a host-wide operation reached, and on how many it failed (hosts that did not answer included). */
function tally({ nodes, failures }: HostsOutcome<FleetOutcome<object>>): { nodes: number; failed: number } {
  return { nodes: nodes.length, failed: nodes.filter((o) => !o.ok).length + failures.length };
}

function addressOf(spec: NodeSpec): string {
  return `127.0.0.1:${spec.port}`;
}
