/**
 * `deno task bench:cascade [--n 100000] [--p 0.01,0.02,0.05] [--runs 20] [--schedule yan|option7|doubling] [--passes N]
 * [--positions] [--json]`:
 * Cascade alone, both sides in this thread, Bob's key with exactly ⌊n·p⌉ bits flipped. Prints per p the mean
 * efficiency (disclosed parity bits / n·h(p)), the frame error rate (runs left with an error) and the reconciled
 * Mbit/s (n · runs / total time of both sides, layouts included) in wall time, and in this process's CPU time (all
 * its threads, GC included): on a shared machine the second shows what one thread can do when it has a core.
 * `--positions` sends explicit position lists instead of seeded ranges.
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { randomBits, SeededRandom } from "../roles/quantum/mod.ts";
import {
  binaryEntropy,
  cascade,
  type CascadeSchedule,
  type ParityOracle,
  ParityResponder,
} from "../roles/postprocess/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "100000" },
    p: { type: "string", default: "0.01,0.02,0.05" },
    runs: { type: "string", default: "20" },
    schedule: { type: "string" },
    passes: { type: "string" },
    positions: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const n = Number(flags.n);
const runs = Number(flags.runs);
const rates = flags.p.split(",").map(Number);
const schedule = flags.schedule as CascadeSchedule | undefined;
const plan = {
  ...(schedule === undefined ? {} : { schedule }),
  ...(flags.passes === undefined ? {} : { passes: Number(flags.passes) }),
};
if (!Number.isInteger(n) || n < 2) throw new RangeError(`--n must be an integer ≥ 2, got ${flags.n}`);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs must be a positive integer, got ${flags.runs}`);
if (!rates.every((p) => p > 0 && p < 0.5)) throw new RangeError(`--p must be rates within (0, 0.5), got ${flags.p}`);

/** Alice's key and Bob's with exactly `errors` distinct positions flipped. */
function keyPair(errors: number, random: SeededRandom) {
  const alice = randomBits(n, random);
  const bob = alice.slice();
  const positions = new Uint32Array(n).map((_, i) => i);
  for (let i = 0; i < errors; i++) {
    const j = i + Math.floor(random.next() * (n - i) / 2 ** 32);
    const swap = positions[i]!;
    positions[i] = positions[j]!;
    positions[j] = swap;
    bob[positions[i]!]! ^= 1;
  }
  return { alice, bob };
}

async function reconcileOnce(p: number, seedNumber: number) {
  const random = new SeededRandom(seedNumber);
  const { alice, bob } = keyPair(Math.round(n * p), random);
  const seed = new Uint8Array(16);
  random.fill(seed);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const responder = new ParityResponder(alice, flags.positions ? {} : { seed, qber: p, ...plan });
  const oracle: ParityOracle | ParityResponder = flags.positions
    ? { parities: (blocks) => responder.parities(blocks) }
    : responder;
  const result = await cascade(bob, oracle, { qber: p, ...plan, ...(flags.positions ? {} : { seed }) });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const failed = result.bits.some((bit, i) => bit !== alice[i]);
  return { ms, cpuMs, leakage: result.leakage, failed };
}

const report = [];
for (const p of rates) {
  await reconcileOnce(p, 0); // warm-up: compile the hot paths before timing
  let ms = 0, cpuMs = 0, leakage = 0, failures = 0;
  for (let run = 1; run <= runs; run++) {
    const once = await reconcileOnce(p, run);
    ms += once.ms;
    cpuMs += once.cpuMs;
    leakage += once.leakage;
    if (once.failed) failures++;
  }
  report.push({
    p,
    n,
    runs,
    schedule: schedule ?? "auto",
    passes: flags.passes === undefined ? undefined : Number(flags.passes),
    query: flags.positions ? "positions" : "ranges",
    efficiency: Number((leakage / runs / (n * binaryEntropy(Math.round(n * p) / n))).toFixed(4)),
    frame_error_rate: failures / runs,
    reconcile_mbit_s: Number((n * runs / (ms / 1000) / 1e6).toFixed(3)),
    reconcile_cpu_mbit_s: Number((n * runs / (cpuMs / 1000) / 1e6).toFixed(3)),
  });
}
if (flags.json) console.log(JSON.stringify(report));
else console.table(report);
