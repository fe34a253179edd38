import assert from "node:assert/strict";
import { type ClusterPorts, planCluster } from "./plan.ts";

const PORTS: ClusterPorts = { bootstrapFirst: 5678, alice: 6000, bob: 6001, workerBase: 7000, workerMax: 7999 };
const FULL = { superCount: 4, regionalCount: 16, localCount: 64, workers: 1000, workersPerHost: 250 };

Deno.test("planCluster() lays out 4 super, 16 regional, 64 local on 5678-5761, workers on 7000-7999", () => {
  const plan = planCluster(FULL, PORTS, ["127.0.0.1:5678"]);
  const stage = (tier: string) => plan.stages.find((s) => s.tier === tier)!.placements.flatMap((p) => p.nodes);
  assert.deepEqual(plan.stages.map((s) => s.tier), ["super", "regional", "local", "worker", "alice-bob"]);
  assert.deepEqual(stage("super").map((n) => n.port), [5678, 5679, 5680, 5681]);
  assert.deepEqual([stage("regional")[0]!.port, stage("regional").at(-1)!.port], [5682, 5697]);
  assert.deepEqual([stage("local")[0]!.port, stage("local").at(-1)!.port], [5698, 5761]);
  assert.equal(stage("worker").length, 1000);
  assert.deepEqual(plan.workerPorts, { first: 7000, last: 7999 });
  assert.deepEqual(plan.hosts.map((h) => h.name), [
    "bootstrap",
    "workers-1",
    "workers-2",
    "workers-3",
    "workers-4",
    "alice-bob",
  ]);
  assert.deepEqual(plan.hosts[1]!.workerPorts, { first: 7000, last: 7249 });
  assert.deepEqual(stage("alice-bob").map((n) => [n.name, n.port]), [["alice", 6000], ["bob", 6001]]);
});

Deno.test("planCluster() gives each node its own line of the hierarchy as seeds, top down", () => {
  const plan = planCluster(FULL, PORTS, ["127.0.0.1:5678"]);
  const nodes = plan.stages.flatMap((s) => s.placements.flatMap((p) => p.nodes));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  assert.deepEqual(byName.get("super-1")!.seeds, []);
  assert.deepEqual(byName.get("super-3")!.seeds.map((s) => s.address), ["127.0.0.1:5678"]);
  const worker = byName.get("worker-70")!;
  assert.deepEqual(worker.seeds.map((s) => s.tier), ["super", "regional", "local"]);
  const local = nodes.find((n) => n.port === Number(worker.seeds[2]!.address.split(":")[1]))!;
  assert.equal(local.parent, worker.seeds[1]!.address);
  const regional = nodes.find((n) => n.port === Number(worker.seeds[1]!.address.split(":")[1]))!;
  assert.equal(regional.parent, worker.seeds[0]!.address);
  assert.equal(worker.region, regional.region);
  assert.deepEqual(worker.fallback, ["127.0.0.1:5678"]);
  const regions = new Set(nodes.filter((n) => n.role === "regional-bootstrap").map((n) => n.region));
  assert.deepEqual([...regions].sort(), ["east", "north", "south", "west"]);
});

Deno.test("planCluster() extends the worker range for a larger network", () => {
  const plan = planCluster({ ...FULL, workers: 1500 }, PORTS, []);
  assert.deepEqual(plan.workerPorts, { first: 7000, last: 8499 });
  assert.equal(plan.hosts.length, 8);
});

Deno.test("planCluster() refuses overlapping ports and impossible shapes", () => {
  assert.throws(
    () => planCluster(FULL, { ...PORTS, alice: 5700 }, []),
    /The bootstrap ports 5678-5761 overlap the alice ports 5700-5700/,
  );
  assert.throws(() => planCluster({ ...FULL, superCount: 0 }, PORTS, []), /Invalid number of super bootstrap nodes/);
  assert.throws(() => planCluster({ ...FULL, workersPerHost: 0 }, PORTS, []), /workers per host/);
});

Deno.test("planCluster() works without the lower tiers: workers then hang under a super node", () => {
  const plan = planCluster({ ...FULL, regionalCount: 0, localCount: 0, workers: 3 }, PORTS, []);
  assert.deepEqual(plan.stages.map((s) => s.tier), ["super", "worker", "alice-bob"]);
  const worker = plan.stages[1]!.placements[0]!.nodes[0]!;
  assert.deepEqual(worker.seeds.map((s) => s.tier), ["super"]);
});
