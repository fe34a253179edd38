/**
 * `deno task bench:keyrate [--workers 1000] [--noise 0.02] [--seconds 60] [--parallel N] [--session-bits 32768]
 * [--json]`: starts a local cluster whose KMEs are fed by networked key exchanges, drains keys through the ETSI
 * GS QKD 014 API as fast as one client can (enc_keys from sae-alice's KME, the same IDs by dec_keys from sae-bob's,
 * each pair checked equal) for `--seconds`, and stops the cluster. Prints `{secret_bits_per_s, raw_bits_per_s,
 * qber, sessions, aborted, abort_reasons, efficiency, reconcile_mbit_s, pool_fill_s, step_share, uptime}`:
 * - secret_bits_per_s: key bits delivered to both SAEs per second of the drain;
 * - raw_bits_per_s: raw positions of the sessions that ended in the drain, per second;
 * - qber: mean QBER estimate of those sessions (weighted by reconciled bits); sessions and aborted: their count;
 * - efficiency: parities disclosed / (reconciled bits · h(qber)); reconcile_mbit_s: reconciled bits per second of
 *   Bob's Cascade time;
 * - pool_fill_s: seconds from the end of startup until the pool first held 64 keys (null: not within the drain time);
 * - step_share: each of Alice's steps' share of her sessions' time;
 * - cluster_cpu_s: CPU seconds the cluster's host processes used during the drain, and cpu_us_per_secret_bit that
 *   over the bits delivered (steadier than the rate on a machine shared with other work).
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SESSION_BITS, EtsiClient, EtsiRequestError, parallelSessionsFor } from "../roles/kme/mod.ts";
import { binaryEntropy } from "../roles/postprocess/mod.ts";
import type { SessionTotals } from "../ops/cluster/key_delivery_route.ts";
import type { KmeInfo } from "../ops/kme/local_kmes.ts";
import { cqkd } from "./_cqkd.ts";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1000" },
    noise: { type: "string", default: "0.02" },
    seconds: { type: "string", default: "60" },
    parallel: { type: "string" },
    "session-bits": { type: "string", default: String(DEFAULT_SESSION_BITS) },
    json: { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const parallel = values.parallel ?? String(parallelSessionsFor(Number(values.workers)));
const FILL_KEYS = 64;

interface Stats {
  pool: { sessions: number; aborted: number };
  sessions: SessionTotals;
}

const stateDir = await Deno.makeTempDir({ prefix: "cqkd-keyrate-bench-" });
try {
  await cqkd(stateDir, [
    "startup",
    ...["--workers", values.workers, "--kme-noise", values.noise, "--kme-parallel", parallel],
    ...["--kme-session-bits", values["session-bits"], "--json"],
  ]);
  const started = performance.now();
  const stats = await hostStats(stateDir);
  const info: KmeInfo = JSON.parse(await cqkd(stateDir, ["kme", "info", "--json"]));
  const client = async (sae: string) => {
    const entry = info.saes.find((s) => s.id === sae)!;
    const kme = info.kmes.find((k) => k.id === entry.kme)!;
    return new EtsiClient({
      url: kme.url!,
      ca: await Deno.readTextFile(kme.ca),
      cert: await Deno.readTextFile(entry.cert),
      key: await Deno.readTextFile(entry.key),
    });
  };
  await using master = await client("sae-alice");
  await using slave = await client("sae-bob");

  let poolFillS: number | null = null;
  while (performance.now() - started < seconds * 1000) {
    if ((await master.status("sae-bob")).stored_key_count >= FILL_KEYS) {
      poolFillS = (performance.now() - started) / 1000;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const before = await stats();
  const cpuBefore = await clusterCpuSeconds(stateDir);
  const drainStart = performance.now();
  let delivered = 0;
  while (performance.now() - drainStart < seconds * 1000) {
    const stored = (await master.status("sae-bob")).stored_key_count;
    if (stored === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    try {
      const { keys } = await master.getKeys("sae-bob", { number: Math.min(128, stored) });
      const mirrored = await slave.getKeysById("sae-alice", keys.map((k) => k.key_ID));
      for (const [i, key] of keys.entries()) {
        if (mirrored.keys[i]?.key !== key.key) throw new Error(`Key ${key.key_ID} differs between the SAEs`);
        delivered += atob(key.key).length * 8;
      }
    } catch (error) {
      if (!(error instanceof EtsiRequestError && error.status === 503)) throw error;
    }
  }
  const drainS = (performance.now() - drainStart) / 1000;
  const after = await stats();
  const cpuS = await clusterCpuSeconds(stateDir) - cpuBefore;

  const d = diff(before.sessions, after.sessions);
  const qber = d.reconciledBits > 0 ? d.qberBits / d.reconciledBits : 0;
  const aliceMs = Object.values(d.aliceSteps).reduce((a, b) => a + b, 0);
  const result = {
    secret_bits_per_s: Math.round(delivered / drainS),
    raw_bits_per_s: Math.round(d.rawPositions / drainS),
    qber: round(qber),
    sessions: after.pool.sessions - before.pool.sessions,
    aborted: after.pool.aborted - before.pool.aborted,
    abort_reasons: after.pool.aborted > before.pool.aborted ? d.reasons : [],
    efficiency: qber > 0 ? round(d.leakage / (d.reconciledBits * binaryEntropy(qber))) : null,
    reconcile_mbit_s: round(d.reconciledBits / ((d.bobSteps["cascade"] ?? NaN) / 1000) / 1e6),
    pool_fill_s: poolFillS === null ? null : round(poolFillS),
    drain_s: round(drainS),
    delivered_bits: delivered,
    cluster_cpu_s: round(cpuS),
    cpu_us_per_secret_bit: delivered > 0 ? round(cpuS * 1e6 / delivered) : null,
    step_share: Object.fromEntries(
      Object.entries(d.aliceSteps).sort(([, a], [, b]) => b - a).map(([step, ms]) => [step, round(ms / aliceMs)]),
    ),
    workers: Number(values.workers),
    noise: Number(values.noise),
    parallel: Number(parallel),
    session_bits: Number(values["session-bits"]),
    uptime: new TextDecoder().decode((await new Deno.Command("uptime").output()).stdout).trim(),
  };
  console.log(
    values.json ? JSON.stringify(result) : `${result.secret_bits_per_s} secret bit/s over ${result.drain_s} s ` +
      `(${result.sessions} sessions, ${result.aborted} aborted, QBER ${result.qber}, efficiency ${result.efficiency})`,
  );
} finally {
  await cqkd(stateDir, ["shutdown", "--json"]);
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}

/** CPU seconds (user and system) the cluster's host processes have used so far, from /proc/<pid>/stat. */
async function clusterCpuSeconds(dir: string): Promise<number> {
  const state = JSON.parse(await Deno.readTextFile(join(dir, "cluster.json")));
  let ticks = 0;
  for (const { pid } of state.hosts as Array<{ pid: number }>) {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Reads GET /kme/stats of the host process of Alice and Bob. */
async function hostStats(dir: string): Promise<() => Promise<Stats>> {
  const state = JSON.parse(await Deno.readTextFile(join(dir, "cluster.json")));
  const host = state.hosts.find((h: { name: string }) => h.name === "alice-bob");
  return async () => {
    const response = await fetch(`http://127.0.0.1:${host.controlPort}/kme/stats`, {
      headers: { authorization: `Bearer ${state.token}` },
    });
    if (!response.ok) throw new Error(`GET /kme/stats: ${response.status} ${await response.text()}`);
    return await response.json();
  };
}

function diff(a: SessionTotals, b: SessionTotals): SessionTotals {
  const steps = (x: Record<string, number>, y: Record<string, number>) =>
    Object.fromEntries(Object.entries(y).map(([k, v]) => [k, v - (x[k] ?? 0)]));
  return {
    sessions: b.sessions - a.sessions,
    failed: b.failed - a.failed,
    siftedBits: b.siftedBits - a.siftedBits,
    reconciledBits: b.reconciledBits - a.reconciledBits,
    leakage: b.leakage - a.leakage,
    qberBits: b.qberBits - a.qberBits,
    secretBits: b.secretBits - a.secretBits,
    rawPositions: b.rawPositions - a.rawPositions,
    aliceSteps: steps(a.aliceSteps, b.aliceSteps),
    bobSteps: steps(a.bobSteps, b.bobSteps),
    reasons: b.reasons,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
