/**
 * `cqkd startup` at the edges of its sizing, as real processes: a shape it refuses up front, and bootstrap tiers
 * large enough to be served by more than one host process.
 */
import assert from "node:assert/strict";
import { loadSettings } from "../core/config/mod.ts";
import { RunningCluster } from "../ops/cluster/cluster.ts";
import { isHostProcess, StateDir } from "../ops/cluster/state.ts";
import { startCluster, type StartupEvent } from "../ops/startup.ts";
import { cqkd, freePorts } from "./_cli.ts";

Deno.test("cqkd startup refuses up front, with the numbers, tiers fixed too small for the workers", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-scale-test-" });
  try {
    const run = await cqkd(["--set", `state_dir=${stateDir}`, "startup", "--workers", "10000", "--local", "64"]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /10000 workers need 200 local bootstrap nodes at 50 each; --local 64 holds 3200/);
    assert.equal(await new StateDir(stateDir).read(), undefined, "nothing was started");
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("cqkd startup spreads the bootstrap nodes of every tier over several host processes", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-scale-test-" });
  const bootstrapCount = 2 + 4 + 60; // more than one bootstrap host serves
  const bootstrapPort = freePorts(bootstrapCount + 2);
  const workerBase = freePorts(12);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 11}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  const shape = ["--workers", "10", "--super", "2", "--regional", "4", "--local", "60", "--per-host", "10"];
  const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + bootstrapCount)];
  try {
    const up = await cqkd([...settings, "startup", ...shape, ...ports, "--heartbeat-ms", "300", "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const cluster = (await RunningCluster.open(new StateDir(stateDir)))!;
    const { nodes } = await cluster.nodes();
    const hostsOf = (role: string) => new Set(nodes.filter((n) => n.role === role).map((n) => n.host));
    for (const role of ["super-bootstrap", "regional-bootstrap", "local-bootstrap"]) {
      assert.deepEqual([...hostsOf(role)].sort(), ["bootstrap", "bootstrap-2"], role);
    }
    assert.equal(nodes.filter((n) => n.state === "ready").length, bootstrapCount + 10 + 2);
    // Workers entered through supers of both processes: no one process answered every join.
    const supers = new Map(nodes.filter((n) => n.role === "super-bootstrap").map((n) => [n.address, n.host]));
    const entries = new Set(nodes.filter((n) => n.role === "worker").map((n) => supers.get(n.entry)));
    assert.deepEqual([...entries].sort(), ["bootstrap", "bootstrap-2"]);
  } finally {
    const down = await cqkd([...settings, "shutdown", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("startCluster() waits for joins that keep retrying, names the nodes still missing at its deadline, cleans up", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-scale-test-" });
  const bootstrapPort = freePorts(3);
  const workerBase = freePorts(3);
  // One slot per bootstrap node: of three workers under one super, two are told "full" and keep retrying.
  const set = { state_dir: stateDir, base_port: workerBase, max_port: workerBase + 2, max_connections: 1 };
  const settings = await loadSettings({ env: {}, flags: set });
  const events: StartupEvent[] = [];
  const hosts = new Map<number, string>();
  try {
    await assert.rejects(
      startCluster({
        settings,
        shape: { superCount: 1, regionalCount: 0, localCount: 0, workers: 3, workersPerHost: 3 },
        ports: {
          bootstrapFirst: bootstrapPort,
          alice: bootstrapPort + 1,
          bob: bootstrapPort + 2,
          workerBase,
          workerMax: workerBase + 2,
        },
        globalArgs: Object.entries(set).flatMap(([name, value]) => ["--set", `${name}=${value}`]),
        stepTimeoutMs: 6000,
        onEvent: (event) => {
          events.push(event);
          if (event.type !== "progress" || event.tier !== "worker") return;
          const state = JSON.parse(Deno.readTextFileSync(`${stateDir}/cluster.json`));
          for (const host of state.hosts) hosts.set(host.pid, host.name);
        },
      }),
      /^CommandError: Cannot start the worker nodes: 2 not ready and none became ready for 6 s: worker-\d, worker-\d$/,
    );
    const waited = events.find((e) => e.type === "warning" && /worker: 2 nodes still joining/.test(e.message));
    assert.ok(waited, `the stragglers were reported: ${JSON.stringify(events)}`);
    assert.equal(await new StateDir(stateDir).read(), undefined, "the state is cleared");
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
  // The worker tier runs once its host and the super tier's are up; Alice and Bob's host may still be starting when
  // the step fails (a loaded machine), so it is looked for by its command line, as every host of this state dir.
  assert.ok(hosts.size >= 2, "the host processes were seen running");
  assert.deepEqual([...hosts].filter(([pid, name]) => isHostProcess(pid, name)), [], "no host process is left");
  const ps = await new Deno.Command("pgrep", { args: ["-f", `state_dir=${stateDir}`] }).output();
  assert.equal(new TextDecoder().decode(ps.stdout).trim(), "", "no process of this cluster is left");
});
