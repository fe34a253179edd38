/**
 * `cqkd emergency detect|isolate|fallback|recover|shutdown` on a real local cluster (host processes, UDP on
 * 127.0.0.1), driven as a user drives it, with nodes, a tier and a host process taken down through the control API
 * and `kill -9`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type ClusterState, isHostProcess } from "../ops/cluster/state.ts";
import { AuditLog } from "../ops/audit/mod.ts";
import type { Finding } from "../ops/emergency/mod.ts";
import { cqkd, freePorts } from "./_cli.ts";

Deno.test("cqkd emergency: detect, isolate, recover, fallback and shutdown on a running cluster", async (t) => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-emergency-test-" });
  const bootstrapPort = freePorts(8); // 1 super + 2 regional + 2 local, then Alice and Bob
  const workerBase = freePorts(20);
  const staticBase = freePorts(20);
  const fallbackAddress = `127.0.0.1:${bootstrapPort}`;
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 19}`, "--set", `fallback_bootstrap_nodes=${fallbackAddress}`);
  settings.push("--set", `fallback_static_port=${staticBase}`);
  const shape = ["--workers", "20", "--super", "1", "--regional", "2", "--local", "2", "--per-host", "10"];
  const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 5)];
  const state = (): ClusterState => JSON.parse(Deno.readTextFileSync(join(stateDir, "cluster.json")));
  /** A host process's control API, as the cluster's token opens it. */
  const control = (name: string) => {
    const host = state().hosts.find((h) => h.name === name)!;
    return (path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${host.controlPort}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { authorization: `Bearer ${state().token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then((r) => r.json());
  };
  const emergency = async (args: string[]) => {
    const run = await cqkd([...settings, "emergency", ...args, "--json"]);
    return { ...run, report: run.stdout.trim() === "" ? undefined : JSON.parse(run.stdout) };
  };
  const verifyNetwork = () => cqkd([...settings, "verify", "network", "--json"]);
  const kinds = (findings: Finding[]) => findings.map((f) => [f.kind, f.subject, f.nodes ?? []]);

  try {
    await t.step("startup", async () => {
      const run = await cqkd([...settings, "startup", ...shape, ...ports, "--heartbeat-ms", "300", "--json"]);
      assert.equal(run.code, 0, run.stderr);
    });

    await t.step("detect finds nothing on a healthy cluster (exit code 0)", async () => {
      const { code, report, stderr } = await emergency(["detect"]);
      assert.equal(code, 0, JSON.stringify(report) + stderr);
      assert.deepEqual(report.findings, []);
      assert.equal(report.scanned.nodes, 27);
      assert.equal(report.scanned.probes, 81);
      assert.equal(report.scanned.tables, 27);
    });

    await t.step("detect finds stopped workers and a stopped bootstrap tier (exit code 1)", async () => {
      assert.deepEqual(await control("workers-1")("/nodes/stop", { names: ["worker-3", "worker-5"] }), { stopped: 2 });
      assert.deepEqual(await control("bootstrap")("/nodes/stop", { roles: ["regional-bootstrap"] }), { stopped: 2 });
      const { code, report } = await emergency(["detect"]);
      assert.equal(code, 1);
      assert.deepEqual(kinds(report.findings), [
        ["tier-down", "regional tier", ["regional-east-1", "regional-west-1"]],
        ["nodes-down", "worker tier", ["worker-3", "worker-5"]],
      ]);
      assert.ok(report.findings.every((f: Finding) => f.action === "recover"));
      const text = await cqkd([...settings, "emergency", "detect"]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /^critical\s+tier-down\s+regional tier\s+recover\s+none of its 2 nodes is up/m);
      assert.match(text.stdout, /^2 findings to act on: cqkd emergency recover \(/m);
    });

    await t.step("recover starts them again and verify network passes", async () => {
      const { code, report, stderr } = await emergency(["recover"]);
      assert.equal(code, 0, JSON.stringify(report?.checks) + stderr);
      assert.deepEqual(
        report.tiers.map((tier: { tier: string; restarted: string[]; ready: number }) => [tier.tier, tier.restarted]),
        [
          ["super", []],
          ["regional", ["regional-east-1", "regional-west-1"]],
          ["local", []],
          ["worker", ["worker-3", "worker-5"]],
          ["alice-bob", []],
        ],
      );
      assert.equal(report.ok, true);
      assert.equal((await verifyNetwork()).code, 0);
    });

    await t.step("isolate takes a node out of every routing table, and it stays out after a refresh", async () => {
      const { code, report } = await emergency(["isolate", "--node", "worker-4"]);
      assert.equal(code, 0);
      const [isolated] = report.isolated;
      assert.equal(isolated.name, "worker-4");
      assert.equal(isolated.blockedBy, 26, "every other node blocks it");
      assert.ok(isolated.removedFrom > 0);
      const readBack = async () => {
        const tables: Array<{ node: string; contacts: string[]; blocked: string[] }> = [];
        for (const host of state().hosts) {
          const api = control(host.name);
          for (const node of await api("/nodes") as Array<{ name: string }>) {
            if (node.name === "worker-4") continue;
            const table = await api(`/nodes/${node.name}/routing-table`);
            tables.push({
              node: node.name,
              contacts: table.contacts.map((c: { id: string }) => c.id),
              blocked: table.blocked,
            });
          }
        }
        return tables;
      };
      const before = await readBack();
      assert.equal(before.length, 26);
      for (const table of before) {
        assert.ok(!table.contacts.includes(isolated.id), `${table.node} still lists worker-4`);
        assert.deepEqual(table.blocked, [isolated.id]);
      }
      for (const host of state().hosts) await control(host.name)("/fleet/ops/refresh", {});
      for (const table of await readBack()) {
        assert.ok(!table.contacts.includes(isolated.id), `${table.node} lists worker-4 again after a refresh`);
      }
      assert.deepEqual(state().isolated, [{ name: "worker-4", id: isolated.id }]);
      const detect = await emergency(["detect"]);
      assert.equal(detect.code, 0, "an isolated node is reported for information only");
      assert.deepEqual(kinds(detect.report.findings), [["isolated", "operator", ["worker-4"]]]);
    });

    await t.step("recover after kill -9 of a host process and a stopped node brings verify network back", async () => {
      const workers2 = state().hosts.find((h) => h.name === "workers-2")!;
      Deno.kill(workers2.pid, "SIGKILL");
      assert.deepEqual(await control("bootstrap")("/nodes/stop", { names: ["local-1"] }), { stopped: 1 });
      for (let i = 0; i < 100 && isHostProcess(workers2.pid, workers2.name); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const detect = await emergency(["detect"]);
      assert.equal(detect.code, 1);
      assert.deepEqual(detect.report.findings[0].kind, "host-down");
      const { code, report, stderr } = await emergency(["recover"]);
      assert.equal(code, 0, JSON.stringify(report?.checks) + stderr);
      assert.deepEqual(report.hosts.find((h: { name: string }) => h.name === "workers-2").outcome, "restarted");
      const restarted = Object.fromEntries(
        report.tiers.map((tier: { tier: string; restarted: string[] }) => [tier.tier, tier.restarted.length]),
      );
      assert.deepEqual(restarted, { super: 0, regional: 0, local: 1, worker: 11, "alice-bob": 0 });
      assert.ok(report.pruned.contacts > 0, "the dead nodes' contacts were removed from the tables");
      assert.equal(state().isolated, undefined, "the isolated worker runs again under a new id");
      assert.notEqual(state().hosts.find((h) => h.name === "workers-2")!.pid, workers2.pid);
      assert.equal((await verifyNetwork()).code, 0);
    });

    await t.step("fallback makes the nodes rejoin through the fallback list; recover then uses it", async () => {
      const { code, report } = await emergency(["fallback"]);
      assert.equal(code, 0, JSON.stringify(report));
      assert.deepEqual(report.peers, [fallbackAddress]);
      const rows = Object.fromEntries(
        report.tiers.map((r: { tier: string; rejoined: number; listed: number }) => [r.tier, [r.rejoined, r.listed]]),
      );
      assert.deepEqual(rows, { super: [0, 1], regional: [2, 0], local: [2, 0], worker: [20, 0], "alice-bob": [2, 0] });
      assert.deepEqual(state().fallback?.peers, [fallbackAddress]);
      assert.equal(state().fallback?.staticPort, staticBase);
      await control("workers-1")("/nodes/stop", { names: ["worker-1"] });
      const recover = await emergency(["recover"]);
      assert.equal(recover.code, 0, JSON.stringify(recover.report?.checks));
      assert.deepEqual(recover.report.rejoined.through, [fallbackAddress]);
      const worker = (await control("workers-1")("/nodes")).find((n: { name: string }) => n.name === "worker-1");
      assert.equal(worker.entry, fallbackAddress, "it joined through the fallback list");
      assert.equal(worker.address, `127.0.0.1:${staticBase}`, "on the first static port");
    });

    await t.step("emergency shutdown stops every process at once and keeps the state file", async () => {
      const hosts = state().hosts;
      const { code, report } = await emergency(["shutdown"]);
      assert.equal(code, 0);
      assert.ok(report.seconds < 10, `took ${report.seconds} s`);
      assert.ok(report.hosts.every((h: { outcome: string }) => h.outcome === "terminated"), JSON.stringify(report));
      for (const host of hosts) assert.equal(isHostProcess(host.pid, host.name), false);
      assert.ok(state().stoppedAt !== undefined);
      const detect = await emergency(["detect"]);
      assert.equal(detect.code, 1);
      assert.deepEqual(
        detect.report.findings.filter((f: Finding) => f.kind === "host-down").map((f: Finding) => f.subject),
        hosts.map((h) => `host ${h.name}`),
      );
    });

    await t.step("recover starts the stopped cluster again from its state", async () => {
      const { code, report, stderr } = await emergency(["recover"]);
      assert.equal(code, 0, JSON.stringify(report?.checks) + stderr);
      assert.ok(report.hosts.every((h: { outcome: string }) => h.outcome === "restarted"));
      assert.equal(state().stoppedAt, undefined);
      assert.equal((await cqkd([...settings, "status"])).code, 0);
    });

    await t.step("every procedure is in the audit log", () => {
      const { entries } = AuditLog.read(join(stateDir, "audit.jsonl"));
      for (const procedure of ["detect", "isolate", "fallback", "recover", "shutdown"]) {
        assert.ok(entries.some((e) => e.procedure === `emergency ${procedure}`), `emergency ${procedure} is audited`);
      }
      assert.ok(entries.some((e) => e.path === "/fleet/ops/isolate" && e.who === "cluster"));
    });
  } finally {
    const down = await cqkd([...settings, "shutdown", "--json"]);
    for (const host of JSON.parse(down.stdout || "{}").hosts ?? []) assert.notEqual(host.outcome, "killed");
    await Deno.remove(stateDir, { recursive: true });
  }
});
