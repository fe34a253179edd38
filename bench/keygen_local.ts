/**
 * `deno run bench/keygen_local.ts [--sessions 20] [--noise 0] [--eve 0]`: the whole key exchange with both parties
 * in this process (roles/postprocess runSessionLocally, system randomness), for 256-bit and 4096-bit keys. Prints
 * one JSON line per key length: mean time per session, mean QBER estimate, mean final key length, mean raw
 * positions used, and how many sessions aborted.
 */
import { parseArgs } from "node:util";
import { runSessionLocally } from "../roles/postprocess/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "20" },
    noise: { type: "string", default: "0" },
    eve: { type: "string", default: "0" },
  },
});
const sessions = Number(flags.sessions);
const noise = Number(flags.noise);
const eve = Number(flags.eve);
if (!Number.isInteger(sessions) || sessions < 1) throw new RangeError(`--sessions must be a positive integer`);

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

for (const bits of [256, 4096]) {
  await runSessionLocally({ keyBits: bits, noise, eve }); // warm-up: compile the hot paths before timing
  const results = [];
  const start = performance.now();
  for (let i = 0; i < sessions; i++) results.push(await runSessionLocally({ keyBits: bits, noise, eve }));
  const ms = (performance.now() - start) / sessions;
  console.log(JSON.stringify({
    bits,
    sessions,
    noise,
    eve,
    ms_per_session: Number(ms.toFixed(2)),
    qber: Number(mean(results.map((r) => r.qber)).toFixed(4)),
    final_bits: mean(results.map((r) => r.finalBits)),
    raw_positions: Math.round(mean(results.map((r) => r.rawPositions))),
    aborted: results.filter((r) => r.aborted !== undefined).length,
  }));
}
