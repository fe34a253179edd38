import assert from "node:assert/strict";
import { NodeHost } from "./host.ts";

Deno.test("NodeHost.stats() keeps the counters of stopped nodes: the totals never go down", async () => {
  await using host = new NodeHost();
  const seed = host.start();
  const leaving = host.start();
  await leaving.ping(seed.address);
  const before = host.stats();
  assert.equal(before.requestsOut, 1);
  assert.equal(before.requestsIn, 1);
  await host.stop(leaving);
  await host.stop(leaving);
  const after = host.stats();
  assert.equal(host.size, 1);
  assert.deepEqual([after.requestsOut, after.requestsIn, after.responsesIn], [1, 1, 1], "stopping twice counts once");
  await host.stopAll();
  assert.equal(host.stats().datagramsOut, before.datagramsOut);
});
