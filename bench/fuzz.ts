/**
 * `deno task bench:fuzz --json`: 100,000 random, mutated and forged datagrams (legacy and bootstrap RPCs, stores
 * to many keys from many ids, deep msgpack nesting, sealed ones stale, future-dated, replayed or with a copied
 * certificate: see tests/_fuzz_kinds.ts), against a super bootstrap node in each transport mode (plain, secure,
 * secure + legacy compatibility) while a legitimate client keeps storing and reading values on it. Prints per mode
 * what was sent, what the node dropped and why, how the legitimate requests fared, the node's CPU time per
 * datagram of each kind (and the slowest kind), and its RSS at the start, after a warm-up (the first half) and at
 * the end: the growth over the second half must stay under 10 % (the first half is where the heap grows to its
 * working size). See tests/_fuzz_run.ts.
 */
import { parseArgs } from "node:util";
import { FUZZ_MODES, type FuzzMode, runFuzz } from "../tests/_fuzz_run.ts";

const USAGE = `Usage: deno task bench:fuzz [options]

Fuzzes a node in each transport mode while a legitimate client stores and reads values on it.

Options:
  --datagrams <n>  fuzz datagrams per mode (default 100000)
  --seed <n>       seed of the generator, to replay a run (default random)
  --modes <list>   comma-separated modes (default ${FUZZ_MODES.join(",")})
  --kinds <list>   comma-separated kinds of datagram (default all: see tests/_fuzz_kinds.ts)
  --json           print the reports as JSON
  -h, --help       print this help`;

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: {
      datagrams: { type: "string", default: "100000" },
      seed: { type: "string" },
      modes: { type: "string", default: FUZZ_MODES.join(",") },
      kinds: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  console.error(`bench:fuzz: ${(error as Error).message}\n\n${USAGE}`);
  Deno.exit(2);
}
const flags = parsed.values;
if (flags.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const datagrams = Number(flags.datagrams);
if (!Number.isInteger(datagrams) || datagrams < 1) {
  console.error(`bench:fuzz: --datagrams must be an integer >= 1, got ${flags.datagrams}`);
  Deno.exit(2);
}
const modes = flags.modes.split(",") as FuzzMode[];
const unknown = modes.filter((m) => !FUZZ_MODES.includes(m));
if (unknown.length > 0) {
  console.error(`bench:fuzz: unknown mode ${unknown.join(", ")} (modes: ${FUZZ_MODES.join(", ")})`);
  Deno.exit(2);
}
const seed = Number(flags.seed ?? Math.floor(Math.random() * 2 ** 32));

const reports = [];
for (const mode of modes) {
  const started = performance.now();
  const report = await runFuzz({ mode, datagrams, seed, ...(flags.kinds ? { kinds: flags.kinds.split(",") } : {}) });
  reports.push(report);
  if (!flags.json) {
    console.log(
      `${mode}: sent ${report.sent} in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed})`,
    );
    console.log(`  received ${report.received}, answered ${report.answered}, dropped:`, report.dropped);
    console.log(
      `  legitimate requests served ${report.legitServed}, failed ${report.legitFailed}`,
      report.legitFailures,
    );
    console.log(`  where datagrams could be lost:`, report.lossSuspects);
    console.log(
      `  CPU per datagram (µs, legitimate round of ${report.legitRoundCpuUs} µs taken out):`,
      report.cpuUsPerDatagram,
    );
    console.log(`  slowest kind: ${report.slowestKind.kind}, ${report.slowestKind.cpuUsPerDatagram} µs per datagram`);
    console.log(`  store refusals:`, report.storeRefusals, `hand-overs dropped: ${report.handOversDropped}`);
    console.log(`  bootstrap:`, report.bootstrap);
    console.log(
      `  RSS ${report.rssStartMb} MB at start, ${report.rssBeforeMb} MB after the warm-up (first half), ` +
        `${report.rssAfterMb} MB at the end: ${report.rssGrowthPct} % over the second half ` +
        `(V8 heap ${report.heapTotalBeforeMb} → ${report.heapTotalAfterMb} MB, live ${report.heapUsedBeforeMb} → ` +
        `${report.heapUsedAfterMb} MB)`,
    );
    console.log(`  node's own requests ${report.requestsSent}, unanswered ${report.requestsTimedOut}`);
    console.log(`  state after the warm-up:`, report.structuresBefore, `at the end:`, report.structuresAfter);
  }
}
if (flags.json) console.log(JSON.stringify(reports));
const tooMuch = reports.filter((r) => r.rssGrowthPct >= 10 || r.legitFailed > 0);
if (tooMuch.length > 0) {
  console.error(
    `bench:fuzz: ${tooMuch.map((r) => r.mode).join(", ")}: RSS grew 10 % or more, or legitimate requests failed`,
  );
  Deno.exitCode = 1;
}
