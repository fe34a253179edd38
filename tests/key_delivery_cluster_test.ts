/**
 * Key delivery on a freshly started local cluster, as a user drives it: `cqkd startup` starts the KMEs over Alice's
 * and Bob's key stores with a pool refilled by networked sessions; `cqkd kme info` and `cqkd keys` reach them
 * (real processes, mutual TLS on 127.0.0.1).
 */
import assert from "node:assert/strict";
import { cqkd, freePorts } from "./_cli.ts";
import { waitFor } from "./_wait_for.ts";
import { ALICE_BOB_HOST } from "../ops/cluster/plan.ts";
import type { ClusterState } from "../ops/cluster/state.ts";

Deno.test("cqkd startup serves networked keys: enc_keys on Alice's KME, the same keys by ID on Bob's, once", async (t) => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-kme-cluster-test-" });
  const bootstrapPort = freePorts(8); // 1 super + 2 regional + 2 local, then Alice and Bob
  const workerBase = freePorts(24);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 23}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  const shape = ["--workers", "20", "--super", "1", "--regional", "2", "--local", "2", "--per-host", "20"];
  const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 5)];
  const pool = ["--kme-noise", "0.02", "--kme-parallel", "2", "--kme-session-bits", "1024"];
  const json = async (args: string[]) => {
    const run = await cqkd([...settings, ...args]);
    assert.equal(run.code, 0, `cqkd ${args.join(" ")}: ${run.stderr}`);
    return JSON.parse(run.stdout);
  };
  try {
    await t.step("startup prints the KMEs' URLs, and kme info has them", async () => {
      const run = await cqkd([...settings, "startup", ...shape, ...ports, ...pool, "--heartbeat-ms", "300"]);
      assert.equal(run.code, 0, run.stderr);
      const printed = run.stdout.match(/kme-alice (https:\/\/127\.0\.0\.1:\d+), kme-bob (https:\/\/127\.0\.0\.1:\d+)/);
      assert.ok(printed, run.stdout);
      const info = await json(["kme", "info", "--json"]);
      assert.deepEqual(info.kmes.map((k: { url: string }) => k.url), [printed[1], printed[2]]);
    });

    await t.step("keys from sae-alice's enc_keys equal sae-bob's dec_keys of the same IDs, given once", async () => {
      await waitFor(async () => (await json(["keys", "status"])).stored_key_count >= 3, {
        timeoutMs: 120_000,
        everyMs: 500,
        what: "the key pool holds 3 keys from networked sessions",
      });
      const master = await json(["keys", "get", "--number", "3"]);
      assert.equal(master.keys.length, 3);
      const ids = master.keys.map((k: { key_ID: string }) => k.key_ID);
      assert.equal(new Set(ids).size, 3);
      for (const key of master.keys) assert.equal(atob(key.key).length, 32);
      const slave = await json(["keys", "get-by-id", ...ids]);
      assert.deepEqual(slave.keys, master.keys);
      const again = await cqkd([...settings, "keys", "get-by-id", ids[0]]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /400/);
    });

    await t.step("Alice's host reports the key pool the console shows: fill, capacity and key rate", async () => {
      const state = JSON.parse(await Deno.readTextFile(`${stateDir}/cluster.json`)) as ClusterState;
      const host = state.hosts.find((h) => h.name === ALICE_BOB_HOST)!;
      const response = await fetch(`http://127.0.0.1:${host.controlPort}/keys/pool`, {
        headers: { authorization: `Bearer ${state.token}` },
      });
      assert.equal(response.status, 200);
      const pool = await response.json();
      assert.equal(pool.capacity_bits, 262_144);
      assert.ok(pool.rate_bps > 0, JSON.stringify(pool));
      assert.ok(pool.fill_bits >= 0 && pool.fill_bits <= pool.capacity_bits, JSON.stringify(pool));
    });
  } finally {
    const stop = await cqkd([...settings, "shutdown"]);
    assert.equal(stop.code, 0, stop.stderr);
    const info = await json(["kme", "info", "--json"]);
    assert.deepEqual(info.kmes.map((k: { url: string | null }) => k.url), [null, null]);
    await Deno.remove(stateDir, { recursive: true });
  }
});
