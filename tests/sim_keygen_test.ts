import assert from "node:assert/strict";
import type { KeygenFigures } from "../sim/keygen.ts";
import { runScenario, type SimReport } from "../sim/scenario.ts";

/** A report without what depends on the machine (wall times, memory). */
function outcome<T extends SimReport & { key_wall_s?: number }>(report: T) {
  const { wall_s: _, cpu_s: __, rss_mb: ___, key_wall_s: ____, heap_mb: _____, kb_per_node: ______, ...rest } = report;
  return rest;
}

Deno.test("the keygen scenario runs the real key exchange on the simulated network, the same way twice", async () => {
  const params = { scenario: "keygen", nodes: 40, seed: 3, lookups: 10, noise: 0.02 } as const;
  const first = await runScenario(params) as SimReport & KeygenFigures;
  assert.equal(first.invariant, undefined, first.invariant);
  assert.equal(first.keys_equal, true);
  assert.equal(first.final_bits, 256);
  assert.ok(first.qber > 0 && first.qber < 0.06, `QBER ${first.qber}`);
  const second = await runScenario(params) as SimReport & KeygenFigures;
  assert.deepEqual(outcome(second), outcome(first));
});
