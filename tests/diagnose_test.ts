/**
 * `cqkd diagnose` and `cqkd tune` as a user runs them: against a running local cluster (`cqkd startup`), against
 * `cqkd node` processes, and against a legacy peer, every command a real process on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { formatPeer } from "../core/net/mod.ts";
import { AuditLog } from "../ops/audit/mod.ts";
import type { ClusterState } from "../ops/cluster/state.ts";
import { cqkd, freePort, freePorts, NodeProcess } from "./_cli.ts";
import { LegacyPeer, legacyTest } from "./_legacy_peer.ts";

/** Runs `cqkd ARGS --json`, expects exit code 0, and parses its output. */
async function json(args: string[]) {
  const run = await cqkd([...args, "--json"]);
  assert.equal(run.code, 0, `cqkd ${args.join(" ")}: ${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Runs `cqkd ARGS`, expects exit code 0, and returns its text. */
async function text(args: string[]): Promise<string> {
  const run = await cqkd(args);
  assert.equal(run.code, 0, `cqkd ${args.join(" ")}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

/** The data rows of a text table under the header line that starts with `first`. */
function tableRows(output: string, first: string): string[][] {
  const lines = output.split("\n");
  const header = lines.findIndex((line) => line.startsWith(first));
  assert.ok(header >= 0, `a table headed "${first}" in:\n${output}`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 1)) {
    if (line.trim() === "") break;
    rows.push(line.trim().split(/\s{2,}/));
  }
  return rows;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

Deno.test("cqkd diagnose and cqkd tune on a running local cluster", async (t) => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-diagnose-test-" });
  const bootstrapPort = freePorts(8); // 1 super + 2 regional + 2 local, then Alice and Bob
  const workerBase = freePorts(24);
  const settings = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  settings.push("--set", `max_port=${workerBase + 23}`, "--set", "fallback_bootstrap_nodes=127.0.0.1:" + bootstrapPort);
  // A port of the worker range held by someone else: ports must report it as a conflict.
  const foreign = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: workerBase });
  try {
    const shape = ["--workers", "20", "--super", "1", "--regional", "2", "--local", "2", "--per-host", "10"];
    const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 6)];
    await text([...settings, "startup", ...shape, ...ports, "--heartbeat-ms", "300"]);
    const state: ClusterState = JSON.parse(await Deno.readTextFile(join(stateDir, "cluster.json")));
    const superAddress = `127.0.0.1:${bootstrapPort}`;

    await t.step("network: every tier ready and answering over UDP, as a table and as JSON", async () => {
      const report = await json([...settings, "diagnose", "network"]);
      assert.equal(report.scope, "cluster");
      assert.deepEqual(report.nodes, { expected: 27, ready: 27, reachable: 27 });
      assert.deepEqual(report.unreachableNodes, []);
      const workers = report.tiers.find((tier: { tier: string }) => tier.tier === "worker");
      assert.equal(workers.reachable, 20);
      assert.ok(workers.contacts.min > 0);
      assert.ok(report.estimatedSize.median > 1);
      const output = await text([...settings, "diagnose", "network"]);
      assert.match(output, /27\/27 nodes ready, 27\/27 answer a ping over UDP/);
      const rows = tableRows(output, "tier");
      assert.deepEqual(rows.map((r) => r.slice(0, 4)), [
        ["super", "1", "1", "1"],
        ["regional", "2", "2", "2"],
        ["local", "2", "2", "2"],
        ["worker", "20", "20", "20"],
        ["alice-bob", "2", "2", "2"],
      ]);
      // The same figures, read a moment later (a node may have gained or lost a contact meanwhile).
      const printed = rows[3]!.slice(4).map(Number);
      const figures = [workers.contacts.min, workers.contacts.median, workers.contacts.max];
      assert.ok(printed.every((n, i) => Math.abs(n - figures[i]) <= 2), `${printed} against ${figures}`);
    });

    await t.step("routing-table: one row per node with its contacts, buckets and distribution score", async () => {
      const report = await json([...settings, "diagnose", "routing-table"]);
      assert.equal(report.nodes.length, 27);
      assert.ok(report.nodes.every((n: { contacts: number; buckets: number }) => n.contacts > 0 && n.buckets >= 1));
      const scores = report.nodes.map((n: { distributionScore: number }) => n.distributionScore);
      assert.deepEqual(scores, [...scores].sort((a, b) => a - b), "worst distribution first");
      const rows = tableRows(await text([...settings, "diagnose", "routing-table"]), "node");
      assert.equal(rows.length, 25, "the 25 worst, then a line saying how many more");
      const superRow = report.nodes.find((n: { name: string }) => n.name === "super-1");
      const printed = rows.find((r) => r[0] === "super-1");
      if (printed) assert.equal(Number(printed[3]), superRow.contacts);
    });

    await t.step("routing-table --node: the node's buckets, whose fills sum to its contact count", async () => {
      const report = await json([...settings, "diagnose", "routing-table", "--node", superAddress]);
      assert.equal(report.source, "cqkd_diagnose");
      assert.equal(report.scope, "node");
      assert.equal(sum(report.buckets.map((b: { contacts: number }) => b.contacts)), report.contacts);
      assert.ok(report.contacts >= 20, `a super bootstrap node knows the cluster: ${report.contacts}`);
      assert.equal(report.closest.length, 8);
      assert.ok(report.distributionScore > 0 && report.distributionScore <= 1);
      const output = await text([...settings, "diagnose", "routing-table", "--node", superAddress]);
      assert.match(output, /from cqkd_diagnose/);
      const contacts = Number(/, (\d+) contacts in \d+ buckets/.exec(output)![1]);
      const buckets = tableRows(output, "#");
      assert.equal(sum(buckets.map((r) => Number(r[3]))), contacts, "the printed bucket rows add up");
      assert.ok(Math.abs(contacts - report.contacts) <= 2, "the same table, moments apart");
    });

    await t.step("health-check: contacts by status and each level's checks", async () => {
      const report = await json([...settings, "diagnose", "health-check"]);
      assert.deepEqual([report.nodes, report.checking], [27, 27]);
      assert.ok(sum(Object.values(report.counts as Record<string, number>)) > 27);
      assert.deepEqual(report.levels.map((l: { level: string }) => l.level), ["fast", "medium", "deep"]);
      const rows = tableRows(await text([...settings, "diagnose", "health-check"]), "level");
      assert.deepEqual(
        rows.map((r) => [r[0], Number(r[1])]),
        report.levels.map((l: { level: string; intervalS: number }) => [l.level, l.intervalS]),
      );
      const node = await json([...settings, "diagnose", "health-check", "--node", superAddress]);
      assert.deepEqual([node.scope, node.source, node.checking], ["node", "cqkd_diagnose", 1]);
    });

    await t.step("performance: latency percentiles, packet loss and real lookups", async () => {
      const report = await json([...settings, "diagnose", "performance"]);
      assert.deepEqual([report.probe.pings, report.probe.lost], [27, 0]);
      const { p50Ms, p90Ms, p99Ms } = report.probe.latency;
      assert.ok(0 < p50Ms && p50Ms <= p90Ms && p90Ms <= p99Ms);
      assert.ok(report.rpcLatency.nodes > 20);
      assert.ok(report.packetLoss.requests > 0 && report.packetLoss.ratio < 0.5);
      assert.equal(report.lookups.count, 5);
      assert.ok(report.lookups.hops.max >= 1, "the first lookup starts from the super bootstrap node alone");
      assert.equal(report.lookups.found.median, 20, "k contacts found");
      assert.equal(report.lookups.through, "super-1");
      const output = await text([...settings, "diagnose", "performance", "--node", superAddress]);
      assert.match(output, /^pings from here \(20 answered\)\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
      assert.match(output, /^the node's own RPCs\s+[\d.]+/m);
      assert.equal(tableRows(output, "lookups")[0]![0], "5");
    });

    await t.step("ports: allocations, the conflict with the foreign socket, and the free ports", async () => {
      const report = await json([...settings, "diagnose", "ports"]);
      assert.equal(report.workers.allocated, 20);
      assert.equal(report.workers.conflicts, 1);
      assert.equal(report.workers.free, 24 - 20 - 1);
      assert.equal(report.bootstrap.nodes, 5);
      const held = report.hosts.find((h: { conflicts: number[] }) => h.conflicts.length > 0);
      assert.deepEqual(held.conflicts, [workerBase]);
      const rows = tableRows(await text([...settings, "diagnose", "ports"]), "host process");
      assert.deepEqual(rows.map((r) => r[0]).sort(), state.hosts.map((h) => h.name).sort());
      assert.ok(rows.some((r) => r[4] === `1 (${workerBase})`));
      const node = await json([...settings, "diagnose", "ports", "--node", superAddress]);
      assert.deepEqual([node.port, node.inWorkerRange], [bootstrapPort, false]);
    });

    await t.step("tune: shows, changes every node live, needs the token, and is audited", async () => {
      const shown = await json([...settings, "tune", "kademlia"]);
      assert.equal(shown.nodes.length, 27);
      assert.equal(shown.changed, false);
      const tuned = await json([...settings, "tune", "kademlia", "--all", "--set", "alpha=5"]);
      assert.equal(tuned.nodes.length, 27);
      assert.ok(
        tuned.nodes.every((n: { parameters: { values: { alpha: number }; pinned: string[] } }) =>
          n.parameters.values.alpha === 5 && n.parameters.pinned.includes("alpha")
        ),
      );
      const status = await json([...settings, "status"]);
      assert.equal(
        sum(status.parameters.filter((p: { alpha: number }) => p.alpha === 5).map((p: { nodes: number }) => p.nodes)),
        27,
        "cqkd status reads alpha 5 on every node",
      );
      const one = await json([...settings, "tune", "kademlia", "--node", superAddress]);
      assert.equal(one.nodes[0].parameters.values.alpha, 5);

      const host = state.hosts.find((h) => h.name === "bootstrap")!;
      const refused = await fetch(`http://127.0.0.1:${host.controlPort}/nodes/super-1/parameters`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ group: "kademlia", set: { alpha: 9 } }),
      });
      assert.equal(refused.status, 401);
      assert.match((await refused.json()).error, /^Missing bearer token/);
      const withoutTarget = await cqkd([...settings, "tune", "kademlia", "--set", "alpha=6"]);
      assert.equal(withoutTarget.code, 2);
      assert.match(withoutTarget.stderr, /Say which nodes to change: --node host:port \(one node\) or --all/);
      const outOfRange = await cqkd([...settings, "tune", "kademlia", "--all", "--set", "k=500"]);
      assert.equal(outOfRange.code, 2);
      assert.match(outOfRange.stderr, /^cqkd: Invalid k 500: expected a whole number within 2-200$/m);

      const reset = await json([...settings, "tune", "kademlia", "--all", "--reset"]);
      assert.ok(reset.nodes.every((n: { parameters: { pinned: string[] } }) => n.parameters.pinned.length === 0));

      const { entries } = AuditLog.read(join(stateDir, "audit.jsonl"));
      const patches = entries.filter((e) => e.method === "PATCH" && e.path?.endsWith("/parameters"));
      const changes = patches.filter((e) => e.ok && (e.args?.set as { alpha?: number })?.alpha === 5);
      assert.deepEqual(changes.map((e) => e.path), state.hosts.map(() => "/parameters"), "one change per host process");
      assert.ok(changes.every((e) => e.who === "cluster" && e.status === 200));
      assert.deepEqual(changes[0]!.args, { group: "kademlia", set: { alpha: 5 }, reset: false });
      assert.ok(patches.some((e) => e.who === "anonymous" && e.status === 401), "the refused change too");
      const procedures = entries.filter((e) => e.procedure === "tune").map((e) => [e.ok, e.args?.target]);
      assert.deepEqual(procedures, [[true, "all"], [false, "cluster"], [true, "all"]], "each change is a procedure");
    });
  } finally {
    foreign.close();
    const down = await cqkd([...settings, "shutdown", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("cqkd diagnose --node and cqkd tune --admin on cqkd node processes", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-diagnose-nodes-" });
  const settings = ["--set", `state_dir=${stateDir}`];
  const token = "tune-token-0123456789";
  const superPort = freePort();
  const first = new NodeProcess([
    "super-bootstrap",
    "--port",
    String(superPort),
    "--bootstrap",
    `127.0.0.1:${superPort}`,
    ...settings,
    "--set",
    `admin_token=${token}`,
  ]);
  let second: NodeProcess | undefined;
  try {
    const listening = await first.event();
    assert.equal(listening.event, "listening");
    const admin = listening.admin as string;
    assert.equal((await first.event()).event, "alone");
    // Started once the super bootstrap node listens: it joins through it.
    second = new NodeProcess([
      "worker",
      "--port",
      String(freePort()),
      "--bootstrap",
      `127.0.0.1:${superPort}`,
      ...settings,
    ]);
    await second.event();
    assert.equal((await second.event()).event, "joined");
    const address = `127.0.0.1:${superPort}`;

    const table = await json([...settings, "diagnose", "routing-table", "--node", address]);
    assert.equal(table.source, "cqkd_diagnose");
    assert.ok(table.contacts >= 1);
    assert.equal(sum(table.buckets.map((b: { contacts: number }) => b.contacts)), table.contacts);
    const health = await text([...settings, "diagnose", "health-check", "--node", address]);
    assert.match(health, /^fast\s+30\s+2000\s/m, "a cqkd node process runs its health checks");

    const shown = await text([...settings, "tune", "kademlia", "--admin", admin]);
    assert.match(shown, /^k\s+20\s+bucket size/m);
    const refused = await cqkd([...settings, "tune", "kademlia", "--admin", admin, "--set", "k=25"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refused PATCH \/parameters: Missing bearer token: mutations need a write token/);
    const tuned = await json([...settings, "tune", "kademlia", "--admin", admin, "--token", token, "--set", "k=25"]);
    assert.equal(tuned.nodes[0].parameters.values.k, 25);
    const status = await (await fetch(`${admin}/nodes/super-bootstrap/status`)).json();
    assert.equal(status.parameters.k, 25, "the node's live k");
    assert.equal((await json([...settings, "diagnose", "routing-table", "--node", address])).k, 25);

    const lines = AuditLog.read(join(stateDir, "audit.jsonl")).entries.filter((e) => e.path === "/parameters");
    assert.deepEqual(lines.map((e) => [e.who, e.status]), [["anonymous", 401], ["admin_token", 200]]);
    assert.deepEqual(lines[1]!.args, { group: "kademlia", set: { k: 25 }, reset: false });
  } finally {
    assert.equal((await second?.stop())?.code ?? 0, 0);
    assert.equal((await first.stop()).code, 0);
    await Deno.remove(stateDir, { recursive: true });
  }
});

legacyTest("cqkd diagnose --node on a legacy peer rebuilds its buckets from legacy RPCs and says so", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-diagnose-legacy-" });
  const settings = ["--set", `state_dir=${stateDir}`, "--set", "rpc_timeout=2"];
  const nodes = Array.from({ length: 12 }, () => KademliaNode.start({ rpcTimeoutMs: 2000 }));
  const peers: LegacyPeer[] = [];
  try {
    for (const node of nodes.slice(1)) await node.bootstrap([nodes[0]!.address]);
    for (let i = 0; i < 2; i++) {
      const peer = new LegacyPeer(["--ksize", "8", "--bootstrap", formatPeer(nodes[i]!.address)]);
      peers.push(peer);
      await peer.ready();
    }
    const legacy = peers[1]!;
    // Every cqkd node pings it: it knows more contacts than its k, so its answers are cut at k.
    await Promise.all(nodes.map((node) => node.ping(legacy.address)));
    const report = await json([...settings, "diagnose", "routing-table", "--node", legacy.addr]);
    assert.equal(report.source, "legacy RPCs");
    assert.match(report.note, /does not answer cqkd_diagnose \(a legacy node\): the figures come from legacy RPCs/);
    const { contacts } = await legacy.send({ op: "contacts" });
    const known = (contacts as string[][]).length - 1; // the diagnosing client is one of them now
    assert.equal(report.contacts, known, "every contact of the legacy peer, rebuilt");
    assert.ok(report.buckets.length > 0);
    assert.equal(sum(report.buckets.map((b: { contacts: number }) => b.contacts)), known);
    assert.equal(report.k, 8, "its answers were cut at its k");
    const output = await text([...settings, "diagnose", "routing-table", "--node", legacy.addr]);
    assert.match(output, /^Routing table of 127\.0\.0\.1:\d+ \([0-9a-f]{40}\), from legacy RPCs$/m);
    assert.match(
      output,
      /^0\s+2\^\d+\s+\d+\s+\d+\s+[\d.]+\s+-\s+-$/m,
      "distance classes, no replacements or idle times",
    );
    const health = await text([...settings, "diagnose", "health-check", "--node", legacy.addr]);
    assert.match(health, /its contacts were pinged from this client/);
  } finally {
    await Promise.all([...peers.map((p) => p.close()), ...nodes.map((n) => n.stop())]);
    await Deno.remove(stateDir, { recursive: true });
  }
});
