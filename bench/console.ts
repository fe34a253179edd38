/**
 * `deno task bench:console [--workers 1000] [--samples 20] [--json]`: the web console's cost on a full local cluster
 * (4 super, 16 regional, 64 local bootstrap nodes, N workers, Alice and Bob: 1086 nodes for 1000 workers). Asks the
 * console for its overview fragment `--samples` times, 1.2 s apart (so that each request gathers afresh rather than
 * share the previous second's snapshot), and reports the server's time per refresh — the `Server-Timing` the
 * console sets (gathering every host process's nodes and traffic, and rendering) — and the time seen by the
 * client, median and max, with the machine's load.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cqkd } from "./_cqkd.ts";
import { freePorts } from "../tests/_cli.ts";
import { StateDir } from "../ops/cluster/state.ts";
import { consoleUrl } from "../ops/console/url.ts";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1000" },
    samples: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
});
const workers = Number(values.workers);
const samples = Number(values.samples);
const stateDir = await Deno.makeTempDir({ prefix: "cqkd-console-bench-" });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 10) / 10;
try {
  // Ports of our own: another cluster may hold the default ones.
  const first = freePorts(100);
  const ports = ["--bootstrap-port", String(first), "--alice-port", String(first + 90)];
  const range = ["--set", `base_port=${first + 100}`, "--set", `max_port=${first + 100 + workers + 200}`];
  await cqkd(stateDir, [...range, "startup", "--workers", String(workers), ...ports, "--json"]);
  const state = (await new StateDir(stateDir).read())!;
  const base = consoleUrl(state.hosts)!;
  const server: number[] = [], client: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples + 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const started = performance.now();
    const response = await fetch(`${base}/api/overview`);
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (!response.ok) throw new Error(`overview answered ${response.status}: ${body}`);
    if (i === 0) continue; // the first refresh also opens the cluster's connections
    const timing = response.headers.get("server-timing")?.match(/dur=([\d.]+)/)?.[1];
    server.push(Number(timing));
    client.push(elapsed);
    bytes = body.length;
  }
  const nodes = (await (await fetch(`${base}/api/overview.json`)).json()).nodeCount;
  const load = Deno.loadavg().map((x) => Math.round(x * 100) / 100);
  const result = {
    workers,
    nodes,
    samples,
    server_ms_median: round(median(server)),
    server_ms_max: round(Math.max(...server)),
    client_ms_median: round(median(client)),
    client_ms_max: round(Math.max(...client)),
    fragment_kb: Math.round(bytes / 1024),
    load,
  };
  console.log(values.json ? JSON.stringify(result) : result);
} finally {
  await cqkd(stateDir, ["shutdown"]).catch((error) => console.error(error.message));
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}
