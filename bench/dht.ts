/**
 * `deno task bench:dht --nodes 1000 --json`: joins N nodes in one process through two bootstrap nodes (50 joins in
 * flight), then measures 200 set/get pairs between random nodes and the recall of 100 random-target lookups.
 */
import { parseArgs } from "node:util";
import { NodeHost } from "../core/host.ts";
import { NodeId, sortByDistance } from "../core/kademlia/mod.ts";
import { percentile, pick, runPool } from "./_util.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "1000" },
    pairs: { type: "string", default: "200" },
    lookups: { type: "string", default: "100" },
    parallel: { type: "string", default: "50" },
    json: { type: "boolean", default: false },
  },
});
const count = Number(flags.nodes);
if (!Number.isInteger(count) || count < 2) throw new RangeError(`--nodes must be an integer >= 2, got ${flags.nodes}`);
const log = (line: string) => flags.json || console.error(line);

await using host = new NodeHost();
const seedA = host.start({ role: "bootstrap" });
const seedB = host.start({ role: "bootstrap" });
await seedB.bootstrap([seedA.address]);
const seeds = [seedA.address, seedB.address];

const joinStart = performance.now();
let joined = 0;
await runPool(count, Number(flags.parallel), async () => {
  await host.start().bootstrap(seeds);
  if (++joined % 100 === 0) log(`joined ${joined}/${count}`);
});
const joinS = (performance.now() - joinStart) / 1000;

const nodes = host.nodes();
const latencies: number[] = [];
let hits = 0;
for (let i = 0; i < Number(flags.pairs); i++) {
  const key = `bench-key-${i}-${crypto.randomUUID()}`;
  await pick(nodes).set(key, `value-${i}`);
  const t0 = performance.now();
  const value = await pick(nodes).get(key);
  latencies.push(performance.now() - t0);
  if (value === `value-${i}`) hits++;
}

let recallSum = 0;
for (let i = 0; i < Number(flags.lookups); i++) {
  const from = pick(nodes);
  const target = NodeId.random();
  const found = new Set((await from.findNode(target)).map((c) => c.id.hex));
  const truth = sortByDistance(nodes.filter((n) => n !== from).map((n) => n.contact), target).slice(0, 20);
  recallSum += truth.filter((c) => found.has(c.id.hex)).length / truth.length;
}

const result = {
  nodes: count,
  join_s: round(joinS, 2),
  rss_mb: Math.round(Deno.memoryUsage().rss / 1e6),
  get_success: hits / Number(flags.pairs),
  get_p50_ms: round(percentile(latencies, 0.5), 2),
  get_p99_ms: round(percentile(latencies, 0.99), 2),
  recall20: round(recallSum / Number(flags.lookups), 4),
};
console.log(JSON.stringify(result));
if (!flags.json) console.error(host.stats());

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
