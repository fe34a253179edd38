import assert from "node:assert/strict";
import { sweep } from "../sim/sweep.ts";

/**
 * The CI sweep: a churn scenario (40 nodes with their services, 30 % killed at once) for 8 seeds, each checking its
 * invariants as it runs (k live replicas after repair, every live node reachable, no dead contacts among the k
 * closest a minute after the kill). A failing seed fails the test with the command that replays it.
 */
Deno.test("a sweep of churn seeds breaks no invariant", async () => {
  const failed = await sweep({ scenario: "churn", nodes: 40, values: 20, lookups: 20 }, 1, 8, 2);
  assert.deepEqual(failed, [], failed.map((f) => `seed ${f.seed}: ${f.reason}\n  replay: ${f.replay}`).join("\n"));
});
