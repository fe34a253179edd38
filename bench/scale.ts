/**
 * `deno task bench:scale [--json] [--scales 15,50,200,500,1000]`: for each scale, `cqkd startup --workers N` of a
 * full local cluster (4 super, 16 regional, 64 local bootstrap nodes, N workers, Alice and Bob) in a fresh state
 * directory, then `cqkd shutdown`. Prints one line per scale: `{"workers","nodes","bootstrap_s","rss_mb"}` where
 * bootstrap_s runs from the start of the command until every node has joined and Alice has found every worker by
 * lookup (what `cqkd startup` waits for before it returns), and rss_mb sums the resident memory of every host
 * process (the highest of a sample right after startup and one 2 s later).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cqkd } from "./_cqkd.ts";
import { residentMb, StateDir } from "../ops/cluster/state.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    scales: { type: "string", default: "15,50,200,500,1000" },
  },
});
const scales = values.scales.split(",").map(Number);
if (scales.some((n) => !Number.isInteger(n) || n < 0)) throw new RangeError(`Invalid --scales ${values.scales}`);

async function processesRssMb(dir: StateDir): Promise<number> {
  const state = await dir.read();
  return (state?.hosts ?? []).reduce((sum, host) => sum + residentMb(host.pid), 0);
}

for (const workers of scales) {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-scale-" });
  const dir = new StateDir(stateDir);
  const started = performance.now();
  try {
    await cqkd(stateDir, ["startup", "--workers", String(workers), "--json"]);
    const bootstrapS = (performance.now() - started) / 1000;
    const first = await processesRssMb(dir);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rssMb = Math.max(first, await processesRssMb(dir));
    const result = { workers, nodes: workers + 84 + 2, bootstrap_s: round(bootstrapS), rss_mb: Math.round(rssMb) };
    console.log(
      values.json
        ? JSON.stringify(result)
        : `${workers} workers (${result.nodes} nodes): up in ${result.bootstrap_s} s, ${result.rss_mb} MB resident`,
    );
  } finally {
    await cqkd(stateDir, ["shutdown", "--json"]);
    await Deno.remove(stateDir, { recursive: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
