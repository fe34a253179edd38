/**
 * `deno task bench:faults [--json]`: recovery from faults across hosts (issue 9). Real `cqkd node` processes on
 * hosts that are Linux network namespaces (tests/_netns.ts; needs root): 2 super and 2 regional bootstrap nodes on
 * a host each, 3 worker hosts of 5 workers, Alice and Bob on hosts of their own. A fixed sample of values is stored
 * through Alice first; then, one after another:
 *
 * - partition + heal: a worker host and Bob's host are cut off for `--cut-s` seconds while Bob writes more values
 *   on his side; timed from the heal;
 * - host crash: a worker host is killed (SIGKILL to all its nodes); timed from the kill;
 * - super tier down + join: the super tier's host is killed and a new worker joins with both tiers as seeds; timed
 *   from the kill, reads from the new worker;
 * - loss + delay: a second network whose every node drops 5 % of its datagrams and delays them 50 ms; timed from
 *   the end of storing its sample, plus one key exchange.
 *
 * For each: the seconds until a client reads ≥ 99 % of the sample back (`recover_s`; null when it did not within
 * `--timeout-s`), and the values lost (unreadable at the end; must be 0). Exit code 1 when any value is lost or a
 * fault did not recover, 2 when network namespaces cannot be made.
 */
import { parseArgs } from "node:util";
import { type ClusterNode, FaultCluster } from "../tests/_fault_cluster.ts";
import { waitFor, WaitTimeoutError } from "../tests/_wait_for.ts";
import { netnsUnsupported } from "../tests/_netns.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    values: { type: "string", default: "100" },
    "cut-s": { type: "string", default: "10" },
    "timeout-s": { type: "string", default: "60" },
    json: { type: "boolean", default: false },
  },
});
const valueCount = number("values", 1);
const cutS = number("cut-s", 1);
const timeoutS = number("timeout-s", 1);
const log = (line: string) => flags.json || console.error(line);

/** One fault's figures. */
interface FaultOutcome {
  fault: string;
  recover_s: number | null;
  /** The largest share of the sample one probe read. */
  best_read: number;
  values_lost: number;
  sample: number;
  [extra: string]: unknown;
}

const unsupported = await netnsUnsupported();
if (unsupported) {
  console.error(`bench:faults: cannot run: ${unsupported} (it needs root and iproute2)`);
  Deno.exit(2);
}

const outcomes: FaultOutcome[] = [];
const started = performance.now();
{
  log("starting the network (7 hosts, 21 nodes)…");
  await using cluster = await FaultCluster.start();
  const sample = await store(cluster.alice, "sample", valueCount);
  outcomes.push(await partitionAndHeal(cluster, sample));
  outcomes.push(await hostCrash(cluster, sample));
  outcomes.push(await superTierDown(cluster, sample));
}
{
  log("starting a network with 5 % loss and 50 ms delay on every node…");
  await using cluster = await FaultCluster.start({
    settings: ["fault_drop_probability=0.05", "fault_delay_ms=50"],
  });
  outcomes.push(await lossAndDelay(cluster));
}
const [load1, load5] = Deno.loadavg();
const report = { faults: outcomes, load_average: [load1, load5], total_s: seconds(performance.now() - started) };
if (flags.json) {
  console.log(JSON.stringify(report));
} else {
  console.log(table(outcomes));
  console.log(`load average ${load1?.toFixed(2)} / ${load5?.toFixed(2)} (1 / 5 min), ${report.total_s} s in all`);
}
Deno.exit(outcomes.every((o) => o.values_lost === 0 && o.recover_s !== null) ? 0 : 1);

async function partitionAndHeal(cluster: FaultCluster, sample: string[]): Promise<FaultOutcome> {
  const cut = [cluster.workerHosts[2]!, cluster.bobHost];
  log(`partition: cutting ${cut.map((h) => h.name).join(", ")} off for ${cutS} s`);
  await cluster.net.partition(cut);
  const cutAt = performance.now();
  const written = Array.from({ length: Math.ceil(valueCount / 5) }, (_, i) => `cut-side-${i}`);
  let nowhere: string[];
  try {
    // A store that reaches no node (Bob may know only nodes across the cut at first) is made again until held.
    nowhere = await cluster.bob.putUntilHeld(written, true);
    await sleep(Math.max(0, cutAt + cutS * 1000 - performance.now()));
  } finally {
    await cluster.net.heal();
  }
  const healed = performance.now();
  const keys = [...sample, ...written.filter((key) => !nowhere.includes(key))];
  const recovered = await recovery(cluster.alice, keys, healed);
  const crossS = await waitFor(async () => (await cluster.bob.contactHosts()).has(cluster.superHost.address), {
    timeoutMs: 30_000,
    everyMs: 500,
    what: "Bob's table holds the super host again",
  }).then(() => seconds(performance.now() - healed), nullOnTimeout);
  return {
    fault: "partition + heal",
    ...recovered,
    values_lost: await lost([cluster.alice, cluster.bob], keys),
    sample: keys.length,
    reconverged_s: crossS,
    held_nowhere: nowhere.length,
  };
}

async function hostCrash(cluster: FaultCluster, sample: string[]): Promise<FaultOutcome> {
  const host = cluster.workerHosts[0]!;
  log(`host crash: killing ${host.name} (${cluster.nodesOn([host]).length} workers)`);
  const killed = performance.now();
  await host.crash();
  const recovered = await recovery(cluster.alice, sample, killed);
  return {
    fault: "host crash",
    ...recovered,
    values_lost: await lost([cluster.alice, cluster.bob], sample),
    sample: sample.length,
  };
}

async function superTierDown(cluster: FaultCluster, sample: string[]): Promise<FaultOutcome> {
  log("super tier down: killing the super bootstrap host, then a new worker joins");
  const killed = performance.now();
  await cluster.superHost.crash();
  const joiner = await cluster.startNode(cluster.workerHosts[1]!, "worker", "late-joiner", cluster.seeds);
  const joinS = seconds(performance.now() - killed);
  const recovered = await recovery(joiner, sample, killed);
  return {
    fault: "super tier down + join",
    ...recovered,
    values_lost: await lost([joiner, cluster.alice], sample),
    sample: sample.length,
    join_s: joinS,
    admitted_by: joiner.attachedTo,
  };
}

async function lossAndDelay(cluster: FaultCluster): Promise<FaultOutcome> {
  const sample = await store(cluster.alice, "lossy", valueCount);
  const stored = performance.now();
  const recovered = await recovery(cluster.bob, sample, stored);
  const exchange = await cluster.exchange(256);
  return {
    fault: "5 % loss + 50 ms delay",
    ...recovered,
    values_lost: await lost([cluster.bob, cluster.alice], sample),
    sample: sample.length,
    keygen_ok: exchange.ok && exchange.aliceFingerprint === exchange.bobFingerprint,
    keygen_s: seconds(exchange.totalMs),
  };
}

/** Stores `count` values through `node`. */
async function store(node: ClusterNode, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await node.put(keys);
  return keys;
}

/**
 * Seconds from `sinceMs` until `client` reads ≥ 99 % of `keys` (all read at once, polled every 250 ms; null past
 * the timeout), and the best share it read.
 */
async function recovery(client: ClusterNode, keys: readonly string[], sinceMs: number) {
  let best = 0;
  const recoverS = await waitFor(async () => {
    best = Math.max(best, (await client.found(keys)).size / keys.length);
    return best >= 0.99;
  }, { timeoutMs: timeoutS * 1000, everyMs: 250, what: "the client reads 99 % of the keys" })
    .then(() => seconds(performance.now() - sinceMs), nullOnTimeout);
  log(`  recovered: ${recoverS === null ? `not within ${timeoutS} s (best read ${best})` : `${recoverS} s`}`);
  return { recover_s: recoverS, best_read: best };
}

/** The keys none of `clients` can read. */
async function lost(clients: readonly ClusterNode[], keys: readonly string[]): Promise<number> {
  const found = new Set<string>();
  for (const client of clients) for (const key of await client.found(keys)) found.add(key);
  return keys.length - found.size;
}

function table(rows: FaultOutcome[]): string {
  const extras = (o: FaultOutcome) =>
    Object.entries(o).filter(([k]) => !["fault", "recover_s", "best_read", "values_lost", "sample"].includes(k))
      .map(([k, v]) => `${k} ${v}`).join(", ");
  const lines = rows.map((
    o,
  ) => [o.fault, o.recover_s ?? "not recovered", `${o.values_lost} of ${o.sample}`, extras(o)]);
  const header = ["fault", "recover_s (≥ 99 %)", "values lost", "more"];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const row = (cells: unknown[]) => cells.map((c, i) => String(c).padEnd(widths[i]!)).join("  ").trimEnd();
  return [row(header), ...lines.map(row)].join("\n");
}

/** A wait that ran out of time is measured as null; any other failure is a failure. */
function nullOnTimeout(error: unknown): null {
  if (error instanceof WaitTimeoutError) return null;
  throw error;
}

function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function number(name: keyof typeof flags, min: number): number {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value < min) {
    console.error(`bench:faults: --${name} must be a number ≥ ${min}, got ${flags[name]}`);
    Deno.exit(2);
  }
  return value;
}
