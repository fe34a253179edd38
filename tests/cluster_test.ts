/**
 * The local cluster as a user drives it: `cqkd startup`, `status`, `verify`, `shutdown` as real processes, with
 * detached host processes holding the nodes, all on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ClusterState, isHostProcess, StateDir } from "../ops/cluster/state.ts";
import { spawnHost } from "../ops/cluster/supervisor.ts";
import { AuditLog } from "../ops/audit/mod.ts";
import { queryPrometheus, stopLocalStack } from "../ops/monitoring/mod.ts";
import { cqkd, freePorts } from "./_cli.ts";

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("cqkd startup → status → verify → shutdown runs a small cluster and leaves no process behind", async (t) => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-cluster-test-" });
  const bootstrapPort = freePorts(16); // 2 super + 4 regional + 8 local, then Alice and Bob
  const workerBase = freePorts(40);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 39}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  const shape = ["--workers", "30", "--super", "2", "--regional", "4", "--local", "8", "--per-host", "15"];
  const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 14)];
  // A port of the worker range held by someone else: the registry must skip it.
  const foreign = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: workerBase });
  const [prometheusPort, alertmanagerPort] = [freeTcpPort(), freeTcpPort()];
  const monitoring = ["--monitoring", "--scrape-interval", "1"];
  monitoring.push("--prometheus-port", String(prometheusPort), "--alertmanager-port", String(alertmanagerPort));
  let state: ClusterState | undefined;
  try {
    await t.step("startup brings every tier up and reports the summary table", async () => {
      const run = await cqkd([...settings, "startup", ...shape, ...ports, "--heartbeat-ms", "300", ...monitoring]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`prometheus: http://127\\.0\\.0\\.1:${prometheusPort} \\(pid \\d+\\)`));
      assert.match(run.stdout, /tier\s+nodes up\s+ready in \(s\)/);
      for (const [tier, n] of [["super", 2], ["regional", 4], ["local", 8], ["worker", 30], ["alice-bob", 2]]) {
        assert.match(run.stdout, new RegExp(`^${tier}\\s+${n}\\s`, "m"));
      }
      assert.match(run.stdout, /Alice found 30\/30 workers by lookup/);
      state = JSON.parse(await Deno.readTextFile(join(stateDir, "cluster.json")));
      assert.equal(state!.hosts.length, 4); // bootstrap, 2 worker hosts, alice-bob
      for (const host of state!.hosts) {
        const log = () => Deno.readTextFileSync(host.logFile).split("\n").slice(-8).join("\n");
        assert.ok(isHostProcess(host.pid, host.name), `${host.name} runs; its log ends:\n${log()}`);
      }
    });

    await t.step("the worker port held by another socket was skipped and recorded", async () => {
      const host = state!.hosts.find((h) => h.workerPorts?.first === workerBase)!;
      const conflicts = await (await fetch(`http://127.0.0.1:${host.controlPort}/ports/conflicts`)).json();
      assert.deepEqual(conflicts, [workerBase]);
    });

    await t.step("the Prometheus started by --monitoring scrapes every host process's /metrics", async () => {
      const targets = JSON.parse(await Deno.readTextFile(join(stateDir, "monitoring", "targets.json")));
      assert.deepEqual(
        targets.map((g: { labels: { process: string } }) => g.labels.process).sort(),
        [
          ...state!.hosts.map((h) => h.name),
        ].sort(),
      );
      const base = `http://127.0.0.1:${prometheusPort}`;
      let up: Array<{ value: number }> = [];
      let rpcs = 0;
      for (
        let i = 0;
        i < 120 && (up.length < state!.hosts.length || up.some((s) => s.value !== 1) || rpcs === 0);
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        up = await queryPrometheus(base, 'up{job="cqkd-local"}').catch(() => []);
        rpcs = (await queryPrometheus(base, "sum(cqkd_rpc_requests_total)").catch(() => []))[0]?.value ?? 0;
      }
      assert.equal(up.length, state!.hosts.length);
      assert.ok(up.every((s) => s.value === 1), JSON.stringify(up));
      assert.ok(rpcs > 0);
      assert.equal(state!.monitoring?.length, 2, "Prometheus and Alertmanager are recorded");
    });

    await t.step("status reads the state back and finds every node ready", async () => {
      const run = await cqkd([...settings, "status", "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const status = JSON.parse(run.stdout);
      assert.equal(status.healthy, true);
      assert.deepEqual(
        status.tiers.map((t: { tier: string; ready: number }) => [t.tier, t.ready]),
        [["super", 2], ["regional", 4], ["local", 8], ["worker", 30], ["alice-bob", 2]],
      );
      assert.ok(status.rssMb > 0);
      // Every node reports the Kademlia parameters its services apply (the adaptive table) and its contacts' health.
      const counted = status.parameters.reduce((sum: number, p: { nodes: number }) => sum + p.nodes, 0);
      assert.equal(counted, 46);
      assert.ok(status.estimatedNetworkSize > 0);
      assert.ok(Object.values(status.health as Record<string, number>).reduce((a, b) => a + b, 0) > 0);
    });

    await t.step("every host process serves the cluster-level view", async () => {
      const host = state!.hosts.find((h) => h.name === "workers-2")!;
      const view = await (await fetch(`http://127.0.0.1:${host.controlPort}/cluster`)).json();
      assert.equal(view.healthy, true);
      assert.equal(view.hosts.length, 4);
      assert.deepEqual(view.tiers.find((t: { tier: string }) => t.tier === "worker"), {
        tier: "worker",
        expected: 30,
        ready: 30,
        failed: 0,
      });
    });

    await t.step("verify bootstrap and verify network pass", async () => {
      for (const target of ["bootstrap", "network"]) {
        const run = await cqkd([...settings, "verify", target, "--json"]);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.ok, true);
        assert.ok(report.checks.length >= 3);
      }
    });

    await t.step("a second startup is refused while the cluster runs", async () => {
      const run = await cqkd([...settings, "startup", ...shape, ...ports]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /A cluster is already running/);
    });

    await t.step("a startup on occupied ports is refused before anything starts", async () => {
      const otherState = await Deno.makeTempDir({ prefix: "cqkd-cluster-test-" });
      try {
        const run = await cqkd(["--set", `state_dir=${otherState}`, "startup", ...shape, ...ports]);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /ports are in use on 127\.0\.0\.1/);
        await assert.rejects(Deno.stat(join(otherState, "cluster.json")), Deno.errors.NotFound);
      } finally {
        await Deno.remove(otherState, { recursive: true });
      }
    });

    await t.step("with the super tier stopped, a new worker still joins, through a regional node", async () => {
      const control = (name: string) => {
        const host = state!.hosts.find((h) => h.name === name)!;
        return (path: string, body?: unknown) =>
          fetch(`http://127.0.0.1:${host.controlPort}${path}`, {
            method: body === undefined ? "GET" : "POST",
            headers: { authorization: `Bearer ${state!.token}`, "content-type": "application/json" },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }).then((r) => r.json());
      };
      const bootstrapHost = control("bootstrap");
      assert.deepEqual(await bootstrapHost("/nodes/stop", { roles: ["super-bootstrap"] }), { stopped: 2 });
      const workers = control("workers-1");
      const late = {
        name: "worker-late",
        role: "worker",
        port: 0,
        region: "east",
        seeds: [
          { address: `127.0.0.1:${bootstrapPort}`, tier: "super" },
          { address: `127.0.0.1:${bootstrapPort + 2}`, tier: "regional" },
        ],
        fallback: [],
      };
      assert.deepEqual(await workers("/nodes", { nodes: [late] }), { accepted: 1 });
      let status: { state: string; entryTier?: string; attachedTo?: string } | undefined;
      for (let i = 0; i < 200 && !["ready", "failed"].includes(status?.state ?? ""); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await workers("/nodes")).find((n: { name: string }) => n.name === "worker-late");
      }
      assert.equal(status?.state, "ready", JSON.stringify(status));
      assert.equal(status?.entryTier, "regional");
      assert.match(status?.attachedTo ?? "", /^local-\d+$/, "the regional node sent it on to a local one");
    });

    await t.step(
      "shutdown stops every host process and removes the state; a second one has nothing to do",
      async () => {
        const run = await cqkd([...settings, "shutdown", "--json"]);
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.wasRunning, true);
        assert.equal(report.unsettled, 0);
        assert.ok(report.hosts.every((h: { outcome: string }) => h.outcome === "stopped"));
        assert.deepEqual(report.monitoring.map((m: { tool: string; outcome: string }) => m.outcome), [
          "terminated",
          "terminated",
        ]);
        for (const host of state!.hosts) assert.equal(isHostProcess(host.pid, host.name), false);
        await assert.rejects(Deno.stat(join(stateDir, "cluster.json")), Deno.errors.NotFound);
        const again = await cqkd([...settings, "shutdown"]);
        assert.equal(again.code, 0);
        assert.match(again.stdout, /No cluster is running/);
        const status = await cqkd([...settings, "status"]);
        assert.equal(status.code, 1);
      },
    );

    await t.step("the audit log holds every procedure and the host processes' control mutations", () => {
      const { entries, skipped } = AuditLog.read(join(stateDir, "audit.jsonl"));
      assert.equal(skipped, 0);
      const procedures = entries.filter((e) => e.procedure).map((e) => [e.procedure, e.ok, e.who.startsWith("cli:")]);
      for (const expected of ["startup", "verify", "shutdown"]) {
        assert.ok(procedures.some(([p, ok, cli]) => p === expected && ok && cli), `${expected} is audited`);
      }
      assert.ok(procedures.some(([p, ok]) => p === "startup" && !ok), "the refused second startup is audited too");
      const starts = entries.filter((e) => e.method === "POST" && e.path === "/nodes");
      assert.ok(starts.length >= 4 && starts.every((e) => e.who === "cluster" && e.client === "127.0.0.1"));
      assert.ok(new Set(entries.map((e) => e.pid)).size > 4, "the CLI and every host process wrote to the one file");
    });
  } finally {
    foreign.close();
    if (state !== undefined) {
      for (const host of state.hosts) if (isHostProcess(host.pid, host.name)) Deno.kill(host.pid, "SIGKILL");
      await stopLocalStack(state.monitoring ?? [], 0);
    }
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("a host process whose ready file is removed (an abandoned cluster) stops on its own", async () => {
  const dir = new StateDir(await Deno.makeTempDir({ prefix: "cqkd-host-test-" }));
  try {
    await dir.ensure();
    const record = await spawnHost({ name: "lonely", state: dir, token: "lonely-host-token", globalArgs: [] });
    assert.ok(isHostProcess(record.pid, "lonely"));
    await Deno.remove(dir.readyPath("lonely"));
    for (let i = 0; i < 200 && isHostProcess(record.pid, "lonely"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(isHostProcess(record.pid, "lonely"), false);
    assert.match(await Deno.readTextFile(record.logFile), /was abandoned, stopping/);
  } finally {
    await Deno.remove(dir.dir, { recursive: true });
  }
});

Deno.test("cqkd keygen runs a key exchange on a running cluster, and says clearly when none runs", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-keygen-test-" });
  const bootstrapPort = freePorts(8);
  const workerBase = freePorts(12);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 11}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  try {
    const none = await cqkd([...settings, "keygen", "--bits", "128"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Cannot generate a key: no local cluster with Alice and Bob is running/);
    const shape = ["--workers", "10", "--super", "1", "--regional", "1", "--local", "2", "--per-host", "10"];
    const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 6)];
    const up = await cqkd([...settings, "startup", ...shape, ...ports, "--heartbeat-ms", "300", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const run = await cqkd([...settings, "keygen", "--bits", "256", "--json"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.keys_equal, true);
    assert.equal(report.final_bits, 256);
    assert.equal(report.alice.fingerprint, report.bob.fingerprint);
    assert.equal(report.alice.key, undefined, "no key in a report unless --show-key");
    assert.ok(report.max_worker_share > 0 && report.max_worker_share < 1 && report.collusion === 1);
    assert.ok("08 dispatch role commands" in report.steps && "cascade" in report.steps);
    const eve = await cqkd([...settings, "keygen", "--bits", "128", "--eve", "1", "--show-key"]);
    assert.equal(eve.code, 1);
    assert.match(eve.stdout, /FAILED: Cannot continue the session: QBER 0\.\d+ exceeds the threshold 0\.11/);
    const state: ClusterState = JSON.parse(await Deno.readTextFile(join(stateDir, "cluster.json")));
    const aliceHost = state.hosts.find((h) => h.name === "alice-bob")!;
    // The session report needs a token and holds no key; the host's log is the owner's alone.
    const sessionUrl = `http://127.0.0.1:${aliceHost.controlPort}/sessions/${report.session}`;
    const anonymous = await fetch(sessionUrl);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const read = await (await fetch(sessionUrl, { headers: { authorization: `Bearer ${state.token}` } })).text();
    assert.equal(JSON.parse(read).key_id, report.key_id);
    assert.doesNotMatch(read, /"key"/);
    assert.equal((await Deno.stat(aliceHost.logFile)).mode! & 0o777, 0o600);
    const metrics = await (await fetch(`http://127.0.0.1:${aliceHost.controlPort}/metrics`)).text();
    assert.match(metrics, /^cqkd_keygen_sessions_total\{outcome="completed"\} 1$/m);
    assert.match(metrics, /^cqkd_keygen_sessions_total\{outcome="aborted"\} 1$/m);
    assert.match(metrics, /^cqkd_keygen_qber_ratio_count 2$/m);
    assert.match(metrics, /^cqkd_keygen_step_duration_seconds_count\{step="cascade"\} [1-9]/m);
  } finally {
    const down = await cqkd([...settings, "shutdown", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("cqkd startup --secure runs a cluster that seals every datagram: verify and keygen work with its key only", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-secure-test-" });
  const bootstrapPort = freePorts(8);
  const workerBase = freePorts(12);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 11}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  try {
    const shape = ["--workers", "10", "--super", "1", "--regional", "1", "--local", "2", "--per-host", "10"];
    const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 6)];
    const up = await cqkd([...settings, "startup", "--secure", ...shape, ...ports, "--heartbeat-ms", "300", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const keyFile = join(stateDir, "cluster.key");
    assert.equal((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    const withKey = [...settings, "--set", `cluster_key_file=${keyFile}`];
    const verify = await cqkd([...settings, "verify", "network", "--json"]);
    assert.equal(verify.code, 0, `verify finds the cluster's key by itself: ${verify.stdout}${verify.stderr}`);
    const keygen = await cqkd([...settings, "keygen", "--bits", "128", "--json"]);
    assert.equal(keygen.code, 0, keygen.stdout + keygen.stderr);
    assert.equal(JSON.parse(keygen.stdout).keys_equal, true);
    const bootstrap = ["--bootstrap", `127.0.0.1:${bootstrapPort}`, "--timeout", "3"];
    const outsider = await cqkd([...settings, "--set", "rpc_timeout=0.3", "dht", "get", "k", ...bootstrap]);
    assert.equal(outsider.code, 2);
    assert.match(outsider.stderr, /Cannot join the network: no answer from 127\.0\.0\.1:\d+/);
    const member = await cqkd([...withKey, "dht", "get", "k", ...bootstrap, "--json"]);
    assert.equal(member.code, 1, member.stderr);
    assert.equal(JSON.parse(member.stdout).found, false);
  } finally {
    const down = await cqkd([...settings, "shutdown", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    await Deno.remove(stateDir, { recursive: true });
  }
});
