/**
 * `deno task bench:keygen [--bits 256] [--workers 1000] [--noise 0] [--eve 0] [--collusion 1] [--json]`: starts a
 * local cluster of `--workers` workers in a fresh state directory, runs one key exchange with `cqkd keygen` and
 * stops the cluster. Prints `{"bits","workers","total_s","steps":{...},"keys_equal","confirmed","qber",
 * "final_bits","collusion","max_worker_share","worker_leakage","raw_positions","workers_used"}`, where total_s is the
 * session's time on Alice's side (discovery to confirmation), steps its step timings in seconds, and
 * max_worker_share the share of the key the `collusion` most exposed workers saw (removed by amplification).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cqkd } from "./_cqkd.ts";

const { values } = parseArgs({
  options: {
    bits: { type: "string", default: "256" },
    workers: { type: "string", default: "1000" },
    noise: { type: "string", default: "0" },
    eve: { type: "string", default: "0" },
    collusion: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});

const stateDir = await Deno.makeTempDir({ prefix: "cqkd-keygen-bench-" });
try {
  await cqkd(stateDir, ["startup", "--workers", values.workers, "--json"]);
  const report = JSON.parse(
    await cqkd(stateDir, [
      "keygen",
      ...["--bits", values.bits, "--noise", values.noise, "--eve", values.eve, "--collusion", values.collusion],
      "--json",
    ], { allowFailure: true }),
  );
  const result = {
    bits: Number(values.bits),
    workers: Number(values.workers),
    total_s: report.total_ms / 1000,
    steps: Object.fromEntries(
      Object.entries(report.steps as Record<string, number>).map(([k, ms]) => [k, Math.round(ms) / 1000]),
    ),
    keys_equal: report.keys_equal,
    confirmed: report.confirmed,
    qber: report.qber,
    final_bits: report.final_bits,
    collusion: report.collusion,
    max_worker_share: report.max_worker_share,
    worker_leakage: report.worker_leakage,
    raw_positions: report.raw_positions,
    workers_used: report.workers,
  };
  console.log(
    values.json
      ? JSON.stringify(result)
      : `${result.bits}-bit key with ${result.workers} workers: ${result.total_s} s, keys equal: ${result.keys_equal}, ` +
        `QBER ${result.qber}, ${result.final_bits} final bits, the ${result.collusion} most exposed worker(s) saw ` +
        `${result.max_worker_share} of the key`,
  );
} finally {
  await cqkd(stateDir, ["shutdown", "--json"]);
  await Deno.remove(stateDir, { recursive: true });
}
