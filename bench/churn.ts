/**
 * `deno task bench:churn --json`: churn resilience of a network whose nodes run the adaptive parameters, health
 * checks, adaptive refresh and discovery. Two bootstrap nodes, then `--workers` workers (default 500) and an Alice
 * join, spread over one worker thread per core; `--values` values (default 100) are stored from random workers;
 * after `--settle` seconds, 30 % of the workers (`--kill`) are stopped at once. At 5, 15, 30 and 60 s after the
 * kill: every pre-churn value is read from a random live worker (get_success) and `--lookups` random targets are
 * looked up from random live workers (lookup_success: the true closest live node comes first). Every second until
 * 60 s each live node's k closest contacts to random ids are checked for dead nodes (dead_free_s: from when none
 * ever names one). Then Alice runs discover_nodes(live workers) (discover_ms). refresh_overhead: requests tagged
 * "refresh" over all requests sent, over the whole run.
 *
 * The analysis and strategy timers are scaled down (see --analysis-interval etc.) so that the parameters adapt
 * within the settle time; the first stderr line says which timers are in force. `--host` binds every node to
 * another loopback address (e.g. 127.31.0.1), out of reach of other DHT processes on a shared machine that may
 * take over the ports of the killed nodes.
 */
import { knowsGraph, type TableView } from "../ops/emergency/knows_graph.ts";
import { parseArgs } from "node:util";
import { NodeId, sortByDistance } from "../core/kademlia/mod.ts";
import type { NodeServicesOptions } from "../core/services/mod.ts";
import type { Traffic } from "./_churn_worker.ts";
import type { NodeRef } from "./_dht_worker.ts";
import { WorkerClient } from "./_worker_client.ts";
import { percentile, pick } from "./_util.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    workers: { type: "string", default: "500" },
    kill: { type: "string", default: "0.3" },
    values: { type: "string", default: "100" },
    lookups: { type: "string", default: "100" },
    settle: { type: "string", default: "20" },
    parallel: { type: "string", default: "50" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    "fast-interval": { type: "string", default: "30" },
    "medium-interval": { type: "string", default: "120" },
    "deep-interval": { type: "string", default: "600" },
    "analysis-interval": { type: "string", default: "10" },
    "optimization-interval": { type: "string", default: "30" },
    host: { type: "string", default: "127.0.0.1" },
    json: { type: "boolean", default: false },
  },
});
const count = number("workers", 10);
const killShare = number("kill", 0, 1);
const valueCount = number("values", 1);
const lookupCount = number("lookups", 1);
const settleS = number("settle", 0);
const parallel = number("parallel", 1);
const threads = number("threads", 1);
const PROBES_S = [5, 15, 30, 60];
if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(flags.host)) {
  console.error(`bench:churn: --host must be a loopback address (127.x.y.z), got ${flags.host}`);
  Deno.exit(2);
}
const log = (line: string) => flags.json || console.error(line);

const options: NodeServicesOptions = {
  adaptive: { analysisIntervalS: number("analysis-interval", 1) },
  health: {
    fast: { intervalS: number("fast-interval", 1) },
    medium: { intervalS: number("medium-interval", 1) },
    deep: { intervalS: number("deep-interval", 1) },
  },
  refresh: { optimizationIntervalS: number("optimization-interval", 1) },
};
console.error(
  `bench:churn timers: fast check every ${flags["fast-interval"]} s, medium every ${flags["medium-interval"]} s, ` +
    `deep every ${flags["deep-interval"]} s, analysis every ${flags["analysis-interval"]} s, refresh strategy ` +
    `re-optimised every ${flags["optimization-interval"]} s (defaults: 30, 120, 600, 60, 300); other settings default`,
);

const pool = Array.from({ length: threads }, () => new WorkerClient(new URL("./_churn_worker.ts", import.meta.url)));
const owner = new Map<string, WorkerClient>();
const call = <T>(id: string, op: string, args: Record<string, unknown> = {}) =>
  owner.get(id)!.call<T>(op, { node: id, ...args });
const onAll = <T>(op: string, args: Record<string, unknown> = {}) => Promise.all(pool.map((w) => w.call<T>(op, args)));
try {
  const join = async (worker: WorkerClient, n: number, role: string, through: NodeRef[]) => {
    const refs = await worker.call<NodeRef[]>("join", {
      count: n,
      parallel,
      through,
      role,
      options,
      hostname: flags.host,
    });
    for (const r of refs) owner.set(r.id, worker);
    return refs;
  };
  const [seedA] = await join(pool[0]!, 1, "super-bootstrap", []);
  const [seedB] = await join(pool[0]!, 1, "super-bootstrap", [seedA!]);
  const seeds = [seedA!, seedB!];
  log(`joining ${count} workers on ${threads} thread(s)`);
  const joinStart = performance.now();
  const workers = (await Promise.all(pool.map((worker, i) => {
    const share = Math.floor(count / threads) + (i < count % threads ? 1 : 0);
    return join(worker, share, "worker", seeds);
  }))).flat();
  const [alice] = await join(pool[0]!, 1, "alice", seeds);
  log(`joined in ${((performance.now() - joinStart) / 1000).toFixed(1)} s; storing ${valueCount} values`);

  const values = new Map<string, string>();
  const replicas = await Promise.all(Array.from({ length: valueCount }, async (_, i) => {
    const key = `churn-${i}-${crypto.randomUUID()}`;
    values.set(key, `value-${i}`);
    return await call<number>(pick(workers).id, "set", { key, value: `value-${i}` });
  }));
  replicas.sort((a, b) => a - b);
  log(`stored: replicas per value min ${replicas[0]}, median ${replicas[replicas.length >> 1]}; settling ${settleS} s`);
  await sleep(settleS * 1000);
  const byK = await onAll<Record<string, number>>("parameters");
  log(`k in force before the kill (k: nodes): ${JSON.stringify(byK)}`);
  const before = await Promise.all([...values].map(async ([key, value]) => {
    const r = await call<{ value: unknown; ms: number }>(pick(workers).id, "get", { key });
    return { ok: r.value === value, ms: r.ms };
  }));
  const fewest = Math.min(...(await onAll<{ fewestContacts: number }>("tables")).map((t) => t.fewestContacts));
  log(`before the kill: get ${share(before)} (p50 ${ms(before, 0.5)} ms); smallest routing table ${fewest} contacts`);
  // A get that fails on a quiet network would mean nodes that cannot reach one another: the tables' components show it.
  const graph = knowsGraph((await onAll<TableView[]>("views")).flat());
  log(
    `routing tables: ${graph.components.length} component(s) of ${graph.components.map((c) => c.length).join(", ")} ` +
      `nodes; ${graph.unlisted.length} nodes in no other table`,
  );

  const shuffled = [...workers].sort(() => Math.random() - 0.5);
  const killed = shuffled.slice(0, Math.round(killShare * count));
  const deadIds = new Set(killed.map((r) => r.id));
  const live = workers.filter((r) => !deadIds.has(r.id));
  const liveAll = [...seeds, alice!, ...live].map((r) => ({ ...r, id: NodeId.fromHex(r.id) }));
  await onAll("kill", { ids: [...deadIds] });
  const killedAt = performance.now();
  await onAll("markDead", { ids: [...deadIds] });
  log(`killed ${killed.length} workers at once; ${live.length} left`);

  const since = () => (performance.now() - killedAt) / 1000;
  let lastDirtyS = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && since() < PROBES_S.at(-1)!) {
      const dirty = (await onAll<number>("dirtyNodes", { targets: 3 })).reduce((a, b) => a + b, 0);
      if (dirty > 0) lastDirtyS = since();
      await sleep(1000);
    }
  })();

  const getSuccess: Record<string, number> = {};
  const lookupSuccess: Record<string, number> = {};
  for (const at of PROBES_S) {
    await sleep(Math.max(0, at * 1000 - (performance.now() - killedAt)));
    const gets = await Promise.all([...values].map(async ([key, value]) => {
      const r = await call<{ value: unknown; ms: number }>(pick(live).id, "get", { key });
      return { ok: r.value === value, ms: r.ms };
    }));
    const lookups = await Promise.all(Array.from({ length: lookupCount }, async () => {
      const from = pick(live);
      const target = NodeId.random();
      const r = await call<{ ids: string[]; ms: number }>(from.id, "findNode", { target: target.hex });
      const truth = sortByDistance(liveAll.filter((n) => n.id.hex !== from.id), target)[0]!;
      return { ok: r.ids[0] === truth.id.hex, ms: r.ms };
    }));
    getSuccess[at] = share(gets);
    lookupSuccess[at] = share(lookups);
    log(
      `t+${at}s (probe took ${(since() - at).toFixed(1)} s): get ${getSuccess[at]} ` +
        `(p50 ${ms(gets, 0.5)} ms, p99 ${ms(gets, 0.99)} ms), lookup ${lookupSuccess[at]} ` +
        `(p50 ${ms(lookups, 0.5)} ms, p99 ${ms(lookups, 0.99)} ms)`,
    );
    const tables = await onAll<
      { nodes: number; contacts: number; wronglyUnhealthy: number; lagMs: number; pending: number; heapMb: number }
    >("tables");
    const sum = (f: "nodes" | "contacts" | "wronglyUnhealthy" | "pending") => tables.reduce((n, t) => n + t[f], 0);
    log(
      `  routing tables: ${Math.round(sum("contacts") / sum("nodes"))} contacts on average; live nodes a registry ` +
        `holds unhealthy: ${sum("wronglyUnhealthy")}; longest event-loop stall per thread: ` +
        `${tables.map((t) => t.lagMs).join(", ")} ms; requests pending: ${sum("pending")}; heap per thread: ` +
        `${tables.map((t) => t.heapMb).join(", ")} MB`,
    );
  }
  sampling = false;
  await sampler;
  // From when on no sample saw a dead contact; null when some still did at the end.
  const deadFreeS = lastDirtyS >= PROBES_S.at(-1)! - 1 ? null : Math.ceil(lastDirtyS);

  let discoverMs: number | null = null;
  try {
    const discovered = await call<{ ms: number; ids: string[] }>(alice!.id, "discover", { count: live.length });
    const wrong = discovered.ids.filter((id) => !deadIds.has(id) && !live.some((r) => r.id === id)).length;
    const dead = discovered.ids.filter((id) => deadIds.has(id)).length;
    log(`discover_nodes(${live.length}): ${discovered.ids.length} found, ${dead} dead, ${wrong} not workers`);
    discoverMs = Math.round(discovered.ms);
  } catch (error) {
    log(`discover_nodes(${live.length}) failed: ${(error as Error).message}`);
  }

  const traffic = (await onAll<Traffic>("traffic")).reduce((total, t) => {
    total.requestsOut += t.requestsOut;
    total.timeouts += t.timeouts;
    for (const [p, n] of Object.entries(t.byPurpose)) total.byPurpose[p] = (total.byPurpose[p] ?? 0) + n;
    return total;
  }, { requestsOut: 0, timeouts: 0, byPurpose: {} } as Traffic);
  const refresh = traffic.byPurpose.refresh ?? 0;
  const health = traffic.byPurpose.health ?? 0;
  log(
    `requests sent: ${traffic.requestsOut} (tagged: ${JSON.stringify(traffic.byPurpose)}), timeouts ` +
      `${traffic.timeouts}; health share ${round(health / traffic.requestsOut)}; refresh share of the traffic ` +
      `other than health checks ${round(refresh / (traffic.requestsOut - health))}`,
  );
  const summary = await call<Record<string, unknown>>(live[0]!.id, "summary");
  log(`a live worker's summary: ${JSON.stringify(summary)}`);
  await onAll("stop");
  console.log(JSON.stringify({
    workers: count,
    killed: killed.length,
    get_success: getSuccess,
    lookup_success: lookupSuccess,
    dead_free_s: deadFreeS,
    refresh_overhead: round(refresh / traffic.requestsOut),
    discover_ms: discoverMs,
  }));
} finally {
  pool.forEach((w) => w.terminate());
}

function share(results: { ok: boolean }[]): number {
  return round(results.filter((r) => r.ok).length / results.length);
}

function ms(results: { ms: number }[], p: number): number {
  return Math.round(percentile(results.map((r) => r.ms), p));
}

function round(x: number): number {
  return Number(x.toFixed(4));
}

function sleep(msToWait: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msToWait));
}

function number(name: keyof typeof flags, min: number, max = Infinity): number {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`bench:churn: --${name} must be a number from ${min} to ${max}, got ${flags[name]}`);
    Deno.exit(2);
  }
  return value;
}
