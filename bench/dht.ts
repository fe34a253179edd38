/**
 * `deno task bench:dht --nodes 1000 --json`: in one process, two bootstrap nodes, then N nodes joining through
 * them with 50 joins in flight (join_s = until all have joined); then 200 pairs of set on a random node / get on
 * another (success rate, latency); then 100 lookups of random targets from random nodes (recall20 = share of the
 * true 20 closest ids found). The nodes are spread over `--threads` worker threads (default: one per core), each
 * a NodeHost with its own event loop; `--threads 1` runs them all on one thread.
 *
 * `--secure` builds the plain network, then a secure one (a fresh cluster key, every datagram sealed, node ids
 * proven) in the same run, and prints both measurements and the ratio of their join times.
 */
import { parseArgs } from "node:util";
import { NodeId, sortByDistance } from "../core/kademlia/mod.ts";
import type { TransportStats } from "../core/net/mod.ts";
import { ClusterKeyring, formatKeyringEnv } from "../core/security/mod.ts";
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
    secure: { type: "boolean", default: false },
  },
});
const count = positiveInt("nodes", 2);
const pairs = positiveInt("pairs", 1);
const lookups = positiveInt("lookups", 1);
const parallel = positiveInt("parallel", 1);
const threads = positiveInt("threads", 1);
const log = (line: string) => flags.json || console.error(line);

if (flags.secure) {
  const plain = await runNetwork(false);
  const secure = await runNetwork(true);
  const ratio = round(secure.join_s / plain.join_s, 2);
  console.log(JSON.stringify({ nodes: count, plain, secure, secure_join_ratio: ratio }));
  log(`secure join ${secure.join_s} s vs plain ${plain.join_s} s: ratio ${ratio} (required <= 1.3)`);
} else {
  console.log(JSON.stringify({ nodes: count, ...await runNetwork(false) }));
}

/** Builds one network of `count` nodes on fresh worker threads, measures it and stops it. */
async function runNetwork(secure: boolean) {
  const workers = Array.from(
    { length: threads },
    () => new WorkerClient(new URL("./_dht_worker.ts", import.meta.url)),
  );
  const owner = new Map<string, WorkerClient>();
  const remember = (refs: NodeRef[], worker: WorkerClient) => refs.forEach((r) => owner.set(r.id, worker));
  try {
    if (secure) {
      const keys = formatKeyringEnv(ClusterKeyring.generate());
      await Promise.all(workers.map((worker) => worker.call("secure", { keys })));
    }
    const mode = secure ? "secure" : "plain";
    const [seedA] = await workers[0]!.call<NodeRef[]>("join", { count: 1, parallel: 1, through: [] });
    const [seedB] = await workers[0]!.call<NodeRef[]>("join", { count: 1, parallel: 1, through: [seedA] });
    remember([seedA!, seedB!], workers[0]!);

    log(`${mode}: joining ${count} nodes on ${threads} thread(s), ${parallel} joins in flight`);
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
    log(`${mode}: joined in ${joinS.toFixed(2)} s; ${pairs} set/get pairs`);

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

    log(`${mode}: ${lookups} lookups of random targets`);
    const everyone = [seedA!, seedB!, ...nodes].map((r) => ({ ...r, id: NodeId.fromHex(r.id) }));
    let recallSum = 0;
    for (let i = 0; i < lookups; i++) {
      const from = pick(nodes);
      const target = NodeId.random();
      const found = new Set(
        await owner.get(from.id)!.call<string[]>("findNode", { node: from.id, target: target.hex }),
      );
      const truth = sortByDistance(everyone.filter((n) => n.id.hex !== from.id), target).slice(0, 20);
      recallSum += truth.filter((c) => found.has(c.id.hex)).length / truth.length;
    }

    const rssMb = Math.round(Deno.memoryUsage().rss / 1e6);
    const stats = await Promise.all(workers.map((w) => w.call<TransportStats>("stop")));
    const sum = (field: "requestsOut" | "timeouts") => stats.reduce((total, s) => total + s[field], 0);
    const dropped = stats.reduce((total, s) => total + Object.values(s.dropped).reduce((a, b) => a + b, 0), 0);
    log(`${mode}: rpcs sent: ${sum("requestsOut")}, timeouts: ${sum("timeouts")}, datagrams dropped: ${dropped}`);
    return {
      join_s: round(joinS, 2),
      rss_mb: rssMb,
      get_success: hits / pairs,
      get_p50_ms: round(percentile(latencies, 0.5), 2),
      get_p99_ms: round(percentile(latencies, 0.99), 2),
      recall20: round(recallSum / lookups, 4),
    };
  } finally {
    workers.forEach((w) => w.terminate());
  }
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
