import assert from "node:assert/strict";
import { NodeHost } from "./host.ts";

Deno.test("NodeHost.stats() keeps the counters of stopped nodes: the totals never go down", async () => {
  await using host = new NodeHost();
  const seed = host.start();
  const leaving = host.start();
  await leaving.ping(seed.address);
  // The seed takes the newcomer in once it has answered the seed's probe (a ping): two requests in all.
  while (seed.table.get(leaving.id) === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  const before = host.stats();
  assert.equal(before.requestsOut, 2);
  assert.equal(before.requestsIn, 2);
  await host.stop(leaving);
  await host.stop(leaving);
  const after = host.stats();
  assert.equal(host.size, 1);
  assert.deepEqual([after.requestsOut, after.requestsIn, after.responsesIn], [2, 2, 2], "stopping twice counts once");
  await host.stopAll();
  assert.equal(host.stats().datagramsOut, before.datagramsOut);
});
