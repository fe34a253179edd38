import assert from "node:assert/strict";
import { DynamicsAnalyzer } from "./dynamics.ts";

Deno.test("DynamicsAnalyzer.snapshot() rates gains, losses and failures per minute over its window", () => {
  let clock = 0;
  const analyzer = new DynamicsAnalyzer({ windowS: 120, now: () => clock });
  clock = 60_000;
  for (let i = 0; i < 6; i++) analyzer.record("gained");
  for (let i = 0; i < 3; i++) analyzer.record("lost");
  analyzer.record("failed");
  clock = 120_000;
  const snapshot = analyzer.snapshot(90);
  assert.deepEqual(snapshot, {
    gainedPerMin: 3,
    lostPerMin: 1.5,
    failuresPerMin: 0.5,
    churnPerMin: 0.05,
    level: "medium",
  });
  clock = 200_000;
  assert.equal(analyzer.snapshot(90).gainedPerMin, 0, "the events left the window");
  assert.equal(analyzer.snapshot(90).level, "low");
});

Deno.test("DynamicsAnalyzer classes churn of 10 % of the table per minute as high", () => {
  let clock = 0;
  const analyzer = new DynamicsAnalyzer({ now: () => clock });
  clock = 120_000;
  for (let i = 0; i < 40; i++) analyzer.record("lost");
  assert.equal(analyzer.snapshot(100).level, "high");
  assert.equal(analyzer.snapshot(1000).level, "medium");
});
