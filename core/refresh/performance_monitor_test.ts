import assert from "node:assert/strict";
import { PerformanceMonitor } from "./performance_monitor.ts";

Deno.test("PerformanceMonitor is degraded when lookups turn slow against their baseline", () => {
  const monitor = new PerformanceMonitor();
  for (let i = 0; i < 50; i++) monitor.record(120, 20, 0);
  assert.equal(monitor.degraded, false);
  for (let i = 0; i < 5; i++) monitor.record(1500, 20, 0);
  assert.equal(monitor.degraded, true);
  const snapshot = monitor.snapshot();
  assert.ok(snapshot.latencyMs > 2 * snapshot.baselineLatencyMs);
});

Deno.test("PerformanceMonitor is degraded when lookups meet more silent contacts than usual", () => {
  const monitor = new PerformanceMonitor();
  for (let i = 0; i < 50; i++) monitor.record(20, 20, 1);
  assert.equal(monitor.degraded, false);
  for (let i = 0; i < 5; i++) monitor.record(20, 20, 8);
  assert.equal(monitor.degraded, true);
});

Deno.test("PerformanceMonitor judges nothing before minLookups, and ignores fast lookups doubling", () => {
  const monitor = new PerformanceMonitor({ minLookups: 10 });
  for (let i = 0; i < 9; i++) monitor.record(i === 0 ? 1 : 5000, 10, 10);
  assert.equal(monitor.degraded, false);
  const quick = new PerformanceMonitor();
  for (let i = 0; i < 50; i++) quick.record(5, 20, 0);
  for (let i = 0; i < 10; i++) quick.record(50, 20, 0);
  assert.equal(quick.degraded, false, "below minLatencyMs");
});
