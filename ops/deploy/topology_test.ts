import assert from "node:assert/strict";
import { DEFAULT_SHAPE, GATED_BY, planDeployment } from "./topology.ts";

Deno.test("planDeployment() lays out the default network: tiers in order, ports 5678…, service names as seeds", () => {
  const topology = planDeployment(DEFAULT_SHAPE);
  assert.deepEqual(topology.tiers.map((t) => [t.tier, t.nodes.length]), [
    ["super", 4],
    ["regional", 16],
    ["local", 64],
    ["worker", 1],
    ["alice-bob", 2],
  ]);
  const all = topology.tiers.flatMap((t) => t.nodes);
  const bootstrap = all.filter((n) => n.tier === "super" || n.tier === "regional" || n.tier === "local");
  assert.deepEqual(bootstrap.map((n) => n.port), Array.from({ length: 84 }, (_, i) => 5678 + i));
  assert.deepEqual(topology.supers, ["super-1:5678", "super-2:5679", "super-3:5680", "super-4:5681"]);
  const byName = new Map(all.map((n) => [n.name, n]));
  assert.deepEqual(byName.get("regional-west-1")?.seeds, ["super-2:5679"]);
  assert.deepEqual(byName.get("local-2")?.seeds, ["super-2:5679", "regional-west-1:5683"]);
  assert.deepEqual(byName.get("alice")?.seeds, ["super-1:5678", "regional-east-1:5682"]);
  assert.deepEqual([byName.get("alice")?.port, byName.get("bob")?.port], [6000, 6001]);
  const worker = byName.get("worker")!;
  assert.equal(worker.replicas, 1000);
  assert.deepEqual(worker.seeds.slice(0, 5), [...topology.supers, "regional-east-1:5682"]);
  assert.equal(worker.seeds.length, 4 + 16);
  // Every seed names a service of the deployment.
  for (const node of all) {
    for (const seed of node.seeds) assert.ok(byName.has(seed.split(":")[0]!), `${node.name}: seed ${seed}`);
  }
  assert.deepEqual(
    [...new Set(all.filter((n) => n.tier === "regional").map((n) => n.region))],
    ["east", "west", "north", "south"],
  );
  assert.deepEqual(all.filter((n) => n.tier === "local").map((n) => n.capacity).slice(0, 1), [50]);
});

Deno.test("GATED_BY orders startup super → regional → local → workers, Alice and Bob after the regional tier", () => {
  const chain = (tier: keyof typeof GATED_BY): string[] => {
    const above = GATED_BY[tier];
    return above ? [...chain(above), above] : [];
  };
  assert.deepEqual(chain("worker"), ["super", "regional", "local"]);
  assert.deepEqual(chain("alice-bob"), ["super", "regional"]);
});

Deno.test("planDeployment() refuses counts out of range and tiers that do not spread evenly over the regions", async (t) => {
  const refused = (shape: Partial<typeof DEFAULT_SHAPE>, message: RegExp) =>
    assert.throws(
      () => planDeployment({ ...DEFAULT_SHAPE, ...shape }),
      (e) => e instanceof RangeError && message.test(e.message),
    );
  await t.step("counts", () => {
    refused({ workers: 0 }, /^Invalid --workers 0: expected a whole number from 1 to 30000$/);
    refused({ workers: 1.5 }, /^Invalid --workers 1.5/);
    refused({ superCount: 0 }, /^Invalid --super 0/);
    refused({ localCount: 1000 }, /^Invalid --local 1000: expected a whole number from 4 to 250$/);
  });
  await t.step("regions", () => {
    refused({ regionalCount: 6 }, /^Invalid --regional 6: expected a multiple of 4, the same number in each region/);
    refused({ localCount: 10 }, /^Invalid --local 10: expected a multiple of 4/);
  });
  await t.step("ports", () => {
    refused(
      { superCount: 100, regionalCount: 100, localCount: 148 },
      /bootstrap ports 5678-6025 overlap the alice ports/,
    );
  });
});
