/**
 * `deno task bench:dht --nodes 1000 --json`: in one process, two bootstrap nodes, then N nodes joining through
 * them with 50 joins in flight (join_s = until all have joined); then 200 pairs of set on a random node / get on
 * another (success rate, latency); then 100 lookups of random targets from random nodes (recall20 = share of the
 * true 20 closest ids found). The nodes are spread over `--threads` worker threads (default: one per core), each
 * a NodeHost with its own event loop; `--threads 1` runs them all on one thread.
 */
import { parseArgs } from "node:util";
import { NodeId, sortByDistance } from "../core/kademlia/mod.ts";
import type { TransportStats } from "../core/net/mod.ts";
import type { NodeRef } from "./_dht_worker.ts";
import { WorkerClient } from "./_worker_client.ts";
import { percentile, pick } from "./_util.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    pairs: { type: "string", default: "200" },
    lookups: { type: "string", default: "100" },
    parallel: { type: "string", default: "50" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    json: { type: "boolean", default: false },
  },
});
const count = positiveInt("nodes", 2);
const pairs = positiveInt("pairs", 1);
const lookups = positiveInt("lookups", 1);
const parallel = positiveInt("parallel", 1);
const threads = positiveInt("threads", 1);
const log = (line: string) => flags.json || console.error(line);

const workers = Array.from({ length: threads }, () => new WorkerClient(new URL("./_dht_worker.ts", import.meta.url)));
const owner = new Map<string, WorkerClient>();
const remember = (refs: NodeRef[], worker: WorkerClient) => refs.forEach((r) => owner.set(r.id, worker));
try {
  const [seedA] = await workers[0]!.call<NodeRef[]>("join", { count: 1, parallel: 1, through: [] });
  const [seedB] = await workers[0]!.call<NodeRef[]>("join", { count: 1, parallel: 1, through: [seedA] });
  remember([seedA!, seedB!], workers[0]!);

  log(`joining ${count} nodes on ${threads} thread(s), ${parallel} joins in flight`);
  const joinStart = performance.now();
  const shares = await Promise.all(workers.map(async (worker, i) => {
    const share = Math.floor(count / threads) + (i < count % threads ? 1 : 0);
    const refs = await worker.call<NodeRef[]>("join", {
      count: share,
      parallel: Math.ceil(parallel / threads),
      through: [seedA, seedB],
    });
    remember(refs, worker);
    return refs;
  }));
  const joinS = (performance.now() - joinStart) / 1000;
  const nodes = shares.flat();
  log(`joined in ${joinS.toFixed(2)} s; ${pairs} set/get pairs`);

  const latencies: number[] = [];
  let hits = 0;
  for (let i = 0; i < pairs; i++) {
    const key = `bench-key-${i}-${crypto.randomUUID()}`;
    const writer = pick(nodes);
    await owner.get(writer.id)!.call("set", { node: writer.id, key, value: `value-${i}` });
    const reader = pick(nodes);
    const { value, ms } = await owner.get(reader.id)!.call<{ value: unknown; ms: number }>("get", {
      node: reader.id,
      key,
    });
    latencies.push(ms);
    if (value === `value-${i}`) hits++;
  }

  log(`${lookups} lookups of random targets`);
  const everyone = [seedA!, seedB!, ...nodes].map((r) => ({ ...r, id: NodeId.fromHex(r.id) }));
  let recallSum = 0;
  for (let i = 0; i < lookups; i++) {
    const from = pick(nodes);
    const target = NodeId.random();
    const found = new Set(await owner.get(from.id)!.call<string[]>("findNode", { node: from.id, target: target.hex }));
    const truth = sortByDistance(everyone.filter((n) => n.id.hex !== from.id), target).slice(0, 20);
    recallSum += truth.filter((c) => found.has(c.id.hex)).length / truth.length;
  }

  const rssMb = Math.round(Deno.memoryUsage().rss / 1e6);
  const stats = await Promise.all(workers.map((w) => w.call<TransportStats>("stop")));
  console.log(JSON.stringify({
    nodes: count,
    join_s: round(joinS, 2),
    rss_mb: rssMb,
    get_success: hits / pairs,
    get_p50_ms: round(percentile(latencies, 0.5), 2),
    get_p99_ms: round(percentile(latencies, 0.99), 2),
    recall20: round(recallSum / lookups, 4),
  }));
  const sum = (field: "requestsOut" | "timeouts") => stats.reduce((total, s) => total + s[field], 0);
  log(`rpcs sent: ${sum("requestsOut")}, timeouts: ${sum("timeouts")}`);
} finally {
  workers.forEach((w) => w.terminate());
}

function positiveInt(name: keyof typeof flags, min: number): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min) {
    console.error(`bench:dht: --${name} must be an integer >= ${min}, got ${flags[name]}`);
    Deno.exit(2);
  }
  return value;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
