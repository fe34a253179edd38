import assert from "node:assert/strict";
import { LatencyWindow, percentilesOf, quantile } from "./latency_window.ts";

Deno.test("quantile() takes the nearest rank of sorted samples", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(sorted, 0.5), 50);
  assert.equal(quantile(sorted, 0.9), 90);
  assert.equal(quantile(sorted, 0.99), 99);
  assert.equal(quantile(sorted, 1), 100);
  assert.equal(quantile(sorted, 0), 1);
  assert.equal(quantile([], 0.5), 0);
});

Deno.test("percentilesOf() sorts the samples and reports p50, p90, p99 and the largest", () => {
  assert.deepEqual(percentilesOf([5, 1, 3, 2, 4]), { samples: 5, p50Ms: 3, p90Ms: 5, p99Ms: 5, maxMs: 5 });
  assert.deepEqual(percentilesOf([]), { samples: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
});

Deno.test("LatencyWindow keeps the newest samples only and ignores what is not a round trip", () => {
  const window = new LatencyWindow(4);
  for (const ms of [100, 100, 1, 2, 3, 4]) window.sample(ms);
  window.sample(Number.NaN);
  window.sample(-1);
  assert.equal(window.total, 6);
  assert.deepEqual([...window.samples()].sort(), [1, 2, 3, 4]);
  assert.equal(window.percentiles().maxMs, 4);
  assert.throws(() => new LatencyWindow(0), RangeError);
});
