import assert from "node:assert/strict";
import type { NodeStatus } from "../cluster/fleet.ts";
import { analyzeScan, type ClusterScan, DEFAULT_THRESHOLDS } from "./analysis.ts";
import { needsAction } from "./finding.ts";

/** A healthy scan: a super, a local and two workers on two hosts, every node ready, probed and linked. */
function healthy(): ClusterScan {
  const planned = [
    { name: "super-1", role: "super-bootstrap", host: "bootstrap" },
    { name: "local-1", role: "local-bootstrap", host: "bootstrap" },
    { name: "worker-1", role: "worker", host: "workers-1" },
    { name: "worker-2", role: "worker", host: "workers-1" },
  ];
  const nodes = planned.map(({ name, role, host }): NodeStatus & { host: string } => ({
    name,
    role,
    host,
    region: "",
    state: "ready",
    id: `id-${name}`,
    address: "127.0.0.1:1",
    contacts: 3,
    rpc: { requestsOut: 10, timeouts: 0, srttMs: 2 },
  }));
  return {
    hosts: [
      { name: "bootstrap", pid: 10, alive: true, answering: true },
      { name: "workers-1", pid: 11, alive: true, answering: true },
    ],
    planned,
    nodes,
    probes: planned.map(({ name }) => ({ name, sent: 3, answered: 3, rttMs: [1, 2, 1] })),
    tables: planned.map(({ name }) => ({
      name,
      id: `id-${name}`,
      contacts: planned.filter((p) => p.name !== name).map((p) => `id-${p.name}`),
    })),
    rpcWindow: { requestsOut: 0, timeouts: 0 },
    isolated: [],
  };
}

const kinds = (scan: ClusterScan) => analyzeScan(scan).map((f) => [f.kind, f.severity, f.action, f.nodes ?? []]);

Deno.test("analyzeScan() finds nothing in a healthy cluster", () => {
  assert.deepEqual(analyzeScan(healthy()), []);
});

Deno.test("analyzeScan() reports a dead host and a hung one, with the nodes they held", () => {
  const scan = healthy();
  scan.hosts[1]!.alive = false;
  scan.nodes = scan.nodes.filter((n) => n.host !== "workers-1");
  assert.deepEqual(kinds(scan), [["host-down", "critical", "recover", ["worker-1", "worker-2"]]]);
  scan.hosts[1]!.alive = true;
  scan.hosts[1]!.answering = false;
  const [hung] = analyzeScan(scan);
  assert.equal(hung!.kind, "host-unresponsive");
  assert.match(hung!.detail, /^pid 11 runs but its control API does not answer: 2 nodes unchecked$/);
});

Deno.test("analyzeScan() reports stopped, failed and missing nodes per tier, and a bootstrap tier with none up", () => {
  const scan = healthy();
  scan.nodes[2]!.state = "stopped";
  scan.nodes[3]!.state = "failed";
  scan.nodes[3]!.error = "no bootstrap answered";
  scan.nodes = scan.nodes.filter((n) => n.name !== "local-1");
  const findings = analyzeScan(scan);
  assert.deepEqual(findings.map((f) => [f.kind, f.severity, f.subject, f.nodes]), [
    ["tier-down", "critical", "local tier", ["local-1"]],
    ["nodes-down", "warning", "worker tier", ["worker-1", "worker-2"]],
  ]);
  assert.equal(
    findings[1]!.detail,
    "2 of 2 down: worker-1 (stopped), worker-2 (failed: no bootstrap answered)",
  );
  assert.equal(needsAction(findings), true);
});

Deno.test("analyzeScan() reports unreachable nodes apart from packet loss, and loss over the limit", () => {
  const scan = healthy();
  scan.probes[3] = { name: "worker-2", sent: 3, answered: 0, rttMs: [] };
  assert.deepEqual(kinds(scan), [["unreachable", "warning", "isolate", ["worker-2"]]]);
  scan.probes[0] = { name: "super-1", sent: 3, answered: 0, rttMs: [] };
  assert.equal(analyzeScan(scan)[0]!.severity, "critical", "an unreachable bootstrap node is critical");
  scan.probes[2] = { name: "worker-1", sent: 3, answered: 2, rttMs: [1, 1] };
  const loss = analyzeScan(scan).find((f) => f.kind === "packet-loss");
  assert.equal(loss?.detail, "16.7 % of 6 probes unanswered (limit 5 %), from worker-1");
  assert.deepEqual(loss?.nodes, ["worker-1"]);
});

Deno.test("analyzeScan() counts the nodes' own RPC losses only over a large enough sample", () => {
  const scan = healthy();
  scan.rpcWindow = { requestsOut: 50, timeouts: 25 };
  assert.deepEqual(analyzeScan(scan), [], "50 RPCs are too few to judge");
  scan.rpcWindow = { requestsOut: 400, timeouts: 40 };
  assert.deepEqual(kinds(scan), [["packet-loss", "warning", "recover", []]]);
  assert.match(analyzeScan(scan)[0]!.detail, /^10 % of the 400 RPCs the nodes sent during the scan got no answer/);
});

Deno.test("analyzeScan() reports nodes over the latency limit, by probe median or by their own RPCs", () => {
  const scan = healthy();
  scan.probes[2]!.rttMs = [900, 700, 10];
  scan.nodes[3]!.rpc!.srttMs = 650;
  const [latency] = analyzeScan(scan);
  assert.deepEqual(latency?.nodes, ["worker-1", "worker-2"]);
  assert.equal(latency?.detail, "2 nodes over 500 ms: worker-1 (probes 700 ms), worker-2 (its RPCs 650 ms)");
  assert.deepEqual(analyzeScan(scan, { ...DEFAULT_THRESHOLDS, latencyMs: 1000 }), []);
});

Deno.test("analyzeScan() reports a partition of the routing tables and nodes nobody lists", () => {
  const scan = healthy();
  scan.tables = [
    { name: "super-1", id: "id-super-1", contacts: ["id-local-1"] },
    { name: "local-1", id: "id-local-1", contacts: ["id-super-1"] },
    { name: "worker-1", id: "id-worker-1", contacts: ["id-worker-2"] },
    { name: "worker-2", id: "id-worker-2", contacts: ["id-super-1"] },
  ];
  assert.deepEqual(kinds(scan), [["unlisted", "warning", "fallback", ["worker-1"]]]);
  scan.tables[3] = { name: "worker-2", id: "id-worker-2", contacts: ["id-worker-1"] };
  const [partition] = analyzeScan(scan);
  assert.equal(partition?.kind, "partition");
  assert.equal(
    partition?.detail,
    "2 groups of nodes that do not know each other (2 + 2 nodes): worker-1, worker-2 cannot be reached from the rest",
  );
});

Deno.test("analyzeScan() leaves isolated nodes out of the graph and reports them for information only", () => {
  const scan = healthy();
  scan.tables = scan.tables.map((t) => ({ ...t, contacts: t.contacts.filter((id) => id !== "id-worker-2") }));
  scan.isolated = [{ id: "id-worker-2", name: "worker-2" }];
  const findings = analyzeScan(scan);
  assert.deepEqual(findings.map((f) => [f.kind, f.severity, f.action]), [["isolated", "info", "none"]]);
  assert.equal(needsAction(findings), false);
});

Deno.test("analyzeScan() reports bootstrap nodes holding more joiners than their capacity", () => {
  const scan = healthy();
  Object.assign(scan.nodes[1]!, { load: 60, capacity: 50 });
  const [overloaded] = analyzeScan(scan);
  assert.equal(overloaded?.detail, "1 node over capacity: local-1 (60 joiners for 50 slots)");
});
