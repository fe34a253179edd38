import assert from "node:assert/strict";
import { NodeId, RoutingTable } from "../kademlia/mod.ts";
import { analyzeRoutingTable, distributionScore } from "./table_analysis.ts";

Deno.test("distributionScore() is 1 for an even spread or a single bucket, and lower the more one bucket dominates", () => {
  assert.equal(distributionScore([5, 5, 5, 5]), 1);
  assert.equal(distributionScore([0, 7, 0]), 1, "empty buckets do not count");
  assert.equal(distributionScore([]), 1);
  const skewed = distributionScore([17, 1, 1, 1]);
  assert.ok(skewed > 0 && skewed < 0.5, `got ${skewed}`);
  assert.ok(distributionScore([10, 5]) > distributionScore([10, 1]));
});

Deno.test("analyzeRoutingTable() counts contacts per bucket and the stale ones", () => {
  let clock = 1_000_000;
  const table = new RoutingTable(NodeId.random(), { k: 20, now: () => clock });
  for (let i = 0; i < 6; i++) table.add({ id: NodeId.random(), host: "127.0.0.1", port: 1000 + i });
  table.add({ id: NodeId.random(), host: "127.0.0.1", port: 2000 }, { hearsay: true });
  clock += 10_000;
  const analysis = analyzeRoutingTable(table, 5_000, () => clock);
  assert.equal(analysis.distribution.reduce((a, b) => a + b, 0), table.size);
  assert.equal(analysis.staleContacts, table.size, "all silent for 10 s, past the 5 s limit");
  assert.equal(analyzeRoutingTable(table, 60_000, () => clock).staleContacts, table.size - 6);
});
