/**
 * `deno run -A bench/metrics_scrape.ts --nodes 500`: the cost of one `/metrics` scrape of a host process. Builds
 * one CqkdMetrics fed with `--nodes` simulated nodes (real routing tables filled from the ids of the other nodes,
 * transport counters of a running network) and the events such a process records (RPCs of every method and
 * outcome, bootstraps, health checks, lookups, key-generation steps), then renders `--runs` times and prints one
 * JSON line: {nodes, series, bytes, render_ms} with the median render time.
 */
import { parseArgs } from "node:util";
import { NodeId, RoutingTable } from "../core/kademlia/mod.ts";
import { CqkdMetrics, type ObservedNode } from "../core/metrics/mod.ts";
import { TransportStats } from "../core/net/mod.ts";
import { percentile, pick } from "./_util.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    nodes: { type: "string", default: "500" },
    contacts: { type: "string", default: "80" },
    runs: { type: "string", default: "20" },
  },
});
const count = Number(flags.nodes);
const contactsPerNode = Number(flags.contacts);
const runs = Number(flags.runs);
for (const [name, value] of [["nodes", count], ["contacts", contactsPerNode], ["runs", runs]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Cannot run the bench: --${name} must be >= 1`);
}

const ids = Array.from({ length: count }, () => NodeId.random());
const nodes: ObservedNode[] = ids.map((id, i) => {
  const table = new RoutingTable(id, { k: 20 });
  for (let c = 0; c < contactsPerNode; c++) table.add({ id: pick(ids), host: "127.0.0.1", port: 7000 + c });
  return { id, role: i < 4 ? "super-bootstrap" : "worker", alpha: 3, rpcTimeoutMs: 5000, table };
});
const stats = new TransportStats();
Object.assign(stats, {
  datagramsIn: 4_000_000,
  datagramsOut: 4_100_000,
  requestsIn: 2_000_000,
  requestsOut: 2_100_000,
  responsesIn: 2_050_000,
  timeouts: 50_000,
  sendErrors: 3,
});
stats.dropped.unsolicited = 1200;

const metrics = new CqkdMetrics();
metrics.observe({ nodes: () => nodes, stats: () => stats });
const methods = ["ping", "store", "find_node", "find_value", "stun", "tier_info", "health", "role_batch"];
const outcomes = ["ok", "timeout", "error", "aborted"] as const;
for (let i = 0; i < 100_000; i++) {
  metrics.rpcCompleted(pick(methods), i % 50 === 0 ? pick(outcomes) : "ok", Math.random() ** 3 * 2);
}
for (let i = 0; i < count; i++) metrics.bootstrapFinished(Math.random() * 60);
for (const level of ["fast", "medium", "deep"] as const) {
  for (const status of ["healthy", "degraded", "unhealthy"] as const) metrics.healthCheck(level, status, Math.random());
}
for (let i = 0; i < 1000; i++) {
  metrics.lookupFinished(pick(["find_node", "find_value"]), 1 + Math.floor(Math.random() * 6));
}
for (let step = 1; step <= 19; step++) metrics.keygenStep(`step ${step}`, Math.random());
metrics.discoveryFinished(3);
metrics.qber(0.02);
metrics.session("completed");

let text = "";
const times: number[] = [];
for (let run = 0; run <= runs; run++) {
  const start = performance.now();
  text = await metrics.render();
  // The first render warms the JIT up; the figure is the steady state a scraper sees.
  if (run > 0) times.push(performance.now() - start);
}
const series = text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;
const renderMs = Math.round(percentile(times, 0.5) * 100) / 100;
console.log(
  JSON.stringify({ nodes: count, series, bytes: new TextEncoder().encode(text).length, render_ms: renderMs }),
);
