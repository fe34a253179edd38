import pMap from "p-map";
/**
 * `deno run -A bench/admin_scrape.ts --nodes 500`: what Prometheus pays to scrape a host process. Starts `--nodes`
 * real DHT nodes in one process (joined through the first, their RPCs and lookups recorded in the metrics), serves
 * the admin API on 127.0.0.1, then GETs `/metrics` over HTTP `--runs` times and prints one JSON line:
 * {nodes, series, bytes, scrape_ms_median, scrape_ms_max}.
 */
import { parseArgs } from "node:util";
import { NodeHost } from "../core/host.ts";
import { CqkdMetrics, metricsHooks } from "../core/metrics/mod.ts";
import { adminApp } from "../ops/admin/mod.ts";
import { percentile } from "./_util.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { nodes: { type: "string", default: "500" }, runs: { type: "string", default: "20" } },
});
const count = Number(flags.nodes);
const runs = Number(flags.runs);
for (const [name, value] of [["nodes", count], ["runs", runs]] as const) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Cannot run the bench: --${name} must be >= 1`);
}

const metrics = new CqkdMetrics();
await using host = new NodeHost({ ...metricsHooks(metrics), k: 20 });
metrics.observe(host);
const seed = host.start({ role: "super-bootstrap" });
for (let i = 1; i < count; i++) host.start();
await pMap(host.nodes().slice(1), (node) => node.bootstrap([seed.address]), { concurrency: 32 });
const entries = host.nodes().map((node, i) => ({ name: `node-${i}`, node }));
const app = adminApp({ name: "bench", nodes: { list: () => entries }, metrics });
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
try {
  const url = `http://127.0.0.1:${server.addr.port}/metrics`;
  let text = "";
  const times: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const start = performance.now();
    text = await (await fetch(url)).text();
    // The first scrape warms the JIT up; the figure is the steady state Prometheus sees.
    if (run > 0) times.push(performance.now() - start);
  }
  const series = text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  console.log(JSON.stringify({
    nodes: count,
    series,
    bytes: new TextEncoder().encode(text).length,
    scrape_ms_median: round(percentile(times, 0.5)),
    scrape_ms_max: round(Math.max(...times)),
  }));
} finally {
  await server.shutdown();
}
