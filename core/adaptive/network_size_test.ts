import assert from "node:assert/strict";
import { mulberry32 } from "../../tests/_prng.ts";
import { type Contact, NodeId, RoutingTable, sortByDistance } from "../kademlia/mod.ts";
import { NetworkSizeEstimator } from "./network_size.ts";

/** `count` contacts with ids drawn from a seeded PRNG. */
function population(count: number, seed: number): Contact[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const bytes = Uint8Array.from({ length: 20 }, () => Math.floor(rand() * 256));
    return { id: NodeId.fromBytes(bytes), host: "127.0.0.1", port: 1000 + i };
  });
}

Deno.test("NetworkSizeEstimator.estimate() is within 15 % of the size from 16 lookups of random targets", () => {
  for (const size of [300, 800, 3000]) {
    const others = population(size - 1, size);
    const estimator = new NetworkSizeEstimator();
    const rand = mulberry32(7);
    for (let i = 0; i < 16; i++) {
      const target = NodeId.fromValue(BigInt(Math.floor(rand() * 2 ** 52)) << 108n);
      estimator.addLookup(target, sortByDistance(others, target).slice(0, 20), 20);
    }
    const estimate = estimator.estimate();
    assert.ok(Math.abs(estimate - size) < 0.15 * size, `estimated ${estimate} for ${size}`);
  }
});

Deno.test("NetworkSizeEstimator counts exactly when a lookup or the table sees fewer than k nodes", () => {
  const others = population(11, 1);
  const estimator = new NetworkSizeEstimator();
  estimator.addLookup(NodeId.random(), others, 20);
  assert.equal(estimator.estimate(), 12);
  const table = new RoutingTable(NodeId.random(), { k: 20 });
  for (const c of others) table.add(c);
  assert.equal(new NetworkSizeEstimator().estimate(table), 12);
  assert.equal(new NetworkSizeEstimator().estimate(), 1, "alone");
});

Deno.test("NetworkSizeEstimator weighs a lookup sample down by half per half-life of age", () => {
  let clock = 0;
  const estimator = new NetworkSizeEstimator({ halfLifeMs: 1000, now: () => clock });
  estimator.addLookup(NodeId.random(), population(3, 2), 20);
  clock = 1000;
  estimator.addLookup(NodeId.random(), population(9, 3), 20);
  assert.equal(estimator.estimate(), Math.round((4 * 0.5 + 10) / 1.5));
  const table = new RoutingTable(NodeId.random(), { k: 20 });
  for (const c of population(5, 4)) table.add(c);
  clock = 11_000;
  assert.equal(estimator.estimate(table), 6, "old samples fade before the table's fresh count");
});

Deno.test("NetworkSizeEstimator counts only the table's contacts heard from, not made-up ids named around ours", () => {
  const self = NodeId.random();
  const table = new RoutingTable(self, { k: 20 });
  for (const c of population(5, 2)) table.add(c);
  // Twenty ids a hostile peer names right next to ours (hearsay): they would make the network look enormous.
  for (let i = 1n; i <= 20n; i++) {
    table.add({ id: NodeId.fromValue(self.value ^ i), host: "10.0.0.1", port: 6000 + Number(i) }, { hearsay: true });
  }
  assert.equal(new NetworkSizeEstimator().estimate(table), 6);
});
