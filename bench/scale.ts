/**
 * `deno task bench:scale [--json] [--workers 15,50,200,500,1000] [--port-base N]`: for each worker count,
 * `cqkd startup --workers N` of a full local cluster (bootstrap tiers sized from N: at least 4 super, 16 regional, 64 local; N workers, Alice
 * and Bob) in a fresh state directory, then `cqkd shutdown`. Prints one line per scale:
 * `{"workers","nodes","bootstrap_s","rss_mb","kb_per_node"}` where bootstrap_s runs from the start of the command
 * until every node has joined and Alice has found every worker by lookup (what `cqkd startup` waits for before it
 * returns), rss_mb sums the resident memory of every host process (the highest of a sample right after startup and
 * one 2 s later), and kb_per_node is what the nodes add to that: rss_mb less what each host process held when it
 * came up, before its first node (its ready file says), per node.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cqkd } from "./_cqkd.ts";
import type { HostReady } from "../ops/cluster/host_protocol.ts";
import { residentMb, StateDir } from "../ops/cluster/state.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    workers: { type: "string", default: "15,50,200,500,1000" },
    /** The former name of --workers. */
    scales: { type: "string" },
    /** First port of the cluster (bootstrap nodes from it, Alice at +700, workers from +1000), to run beside another. */
    "port-base": { type: "string" },
  },
});
const list = values.scales ?? values.workers;
const scales = list.split(",").map(Number);
if (scales.some((n) => !Number.isInteger(n) || n < 0)) throw new RangeError(`Invalid --workers ${list}`);
const base = values["port-base"] === undefined ? undefined : Number(values["port-base"]);
if (base !== undefined && !(Number.isInteger(base) && base > 0 && base + 12_000 < 65536)) {
  throw new RangeError(`Invalid --port-base ${values["port-base"]}`);
}
/** Where the cluster listens: the defaults, or from --port-base. */
const portArgs = (workers: number) =>
  base === undefined ? { global: [], startup: [] } : {
    global: ["--set", `base_port=${base + 1000}`, "--set", `max_port=${base + 1000 + Math.max(999, workers)}`],
    startup: ["--bootstrap-port", String(base), "--alice-port", String(base + 700)],
  };

async function processesRssMb(dir: StateDir): Promise<{ mb: number; processes: number }> {
  const hosts = (await dir.read())?.hosts ?? [];
  return { mb: hosts.reduce((sum, host) => sum + residentMb(host.pid), 0), processes: hosts.length };
}

/** What the host processes held when they came up, before any node (from their ready files). */
async function idleRssMb(dir: StateDir): Promise<number> {
  const hosts = (await dir.read())?.hosts ?? [];
  const ready = await Promise.all(
    hosts.map(async (h): Promise<HostReady> => JSON.parse(await Deno.readTextFile(dir.readyPath(h.name)))),
  );
  return ready.reduce((sum, r) => sum + (r.idleRssBytes ?? 0), 0) / 1024 / 1024;
}

for (const workers of scales) {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-scale-" });
  const dir = new StateDir(stateDir);
  const started = performance.now();
  try {
    const ports = portArgs(workers);
    const events = await cqkd(stateDir, [
      ...ports.global,
      "startup",
      "--workers",
      String(workers),
      ...ports.startup,
      "--json",
    ]);
    const bootstrapS = (performance.now() - started) / 1000;
    const done = events.trim().split("\n").map((line) => JSON.parse(line)).find((e) => e.type === "done");
    const nodes: number = done.summary.nodes;
    const first = await processesRssMb(dir);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await processesRssMb(dir);
    const rssMb = Math.max(first.mb, second.mb);
    const idleMb = await idleRssMb(dir);
    const result = {
      workers,
      nodes,
      bootstrap_s: round(bootstrapS),
      rss_mb: Math.round(rssMb),
      kb_per_node: Math.round((rssMb - idleMb) * 1024 / nodes),
    };
    console.log(
      values.json
        ? JSON.stringify(result)
        : `${workers} workers (${result.nodes} nodes): up in ${result.bootstrap_s} s, ` +
          `${result.rss_mb} MB resident (${Math.round(idleMb)} MB before the first node), ` +
          `${result.kb_per_node} KB per node`,
    );
  } finally {
    await cqkd(stateDir, ["shutdown", "--json"]);
    await Deno.remove(stateDir, { recursive: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
