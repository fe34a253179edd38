import assert from "node:assert/strict";
import { DEFAULT_THRESHOLDS, parametersFor, tierFor } from "./parameter_table.ts";

Deno.test("tierFor() classes sizes by the default thresholds, bounds included", () => {
  const tiers = [1, 50, 51, 200, 201, 500, 501, 1000, 1001, 50_000].map((n) => tierFor(n, DEFAULT_THRESHOLDS));
  assert.deepEqual(tiers, [
    "small",
    "small",
    "medium",
    "medium",
    "large",
    "large",
    "xlarge",
    "xlarge",
    "huge",
    "huge",
  ]);
});

Deno.test("tierFor() moves up at once but down only clearly below the lower bound", () => {
  assert.equal(tierFor(201, DEFAULT_THRESHOLDS, "medium"), "large");
  assert.equal(tierFor(180, DEFAULT_THRESHOLDS, "large"), "large", "within 15 % of 200: noise");
  assert.equal(tierFor(169, DEFAULT_THRESHOLDS, "large"), "medium");
  assert.equal(tierFor(30, DEFAULT_THRESHOLDS, "large"), "small");
});

Deno.test("parametersFor() gives the documented table, and grows past 1000 nodes per doubling", () => {
  const rows = (["small", "medium", "large", "xlarge"] as const).map((tier) =>
    parametersFor(tier, 0, DEFAULT_THRESHOLDS)
  );
  assert.deepEqual(rows, [
    { alpha: 3, k: 20, timeoutMs: 5000, refreshIntervalS: 300 },
    { alpha: 4, k: 25, timeoutMs: 8000, refreshIntervalS: 240 },
    { alpha: 6, k: 35, timeoutMs: 15000, refreshIntervalS: 180 },
    { alpha: 8, k: 40, timeoutMs: 20000, refreshIntervalS: 120 },
  ]);
  assert.deepEqual(parametersFor("huge", 1500, DEFAULT_THRESHOLDS), {
    alpha: 8,
    k: 40,
    timeoutMs: 20000,
    refreshIntervalS: 60,
  });
  assert.deepEqual(parametersFor("huge", 4000, DEFAULT_THRESHOLDS), {
    alpha: 10,
    k: 50,
    timeoutMs: 30000,
    refreshIntervalS: 60,
  });
});
