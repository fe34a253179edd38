import assert from "node:assert/strict";
import { RttEstimator } from "./rtt_estimator.ts";

Deno.test("RttEstimator starts from the first sample (RFC 6298: SRTT = R, RTTVAR = R/2)", () => {
  const rtt = new RttEstimator();
  assert.equal(rtt.timeoutMs, 0);
  assert.equal(rtt.smoothedMs, undefined);
  rtt.sample(100);
  assert.equal(rtt.smoothedMs, 100);
  assert.equal(rtt.timeoutMs, 300);
});

Deno.test("RttEstimator's timeout follows round trips up when a process slows down, and back down", () => {
  const rtt = new RttEstimator();
  for (let i = 0; i < 50; i++) rtt.sample(2);
  const quiet = rtt.timeoutMs;
  assert.ok(quiet < 5, `steady 2 ms round trips give a small timeout, got ${quiet}`);
  for (let i = 0; i < 20; i++) rtt.sample(800);
  assert.ok(rtt.timeoutMs > 700, `800 ms round trips raise it past 700 ms, got ${rtt.timeoutMs}`);
  for (let i = 0; i < 80; i++) rtt.sample(2);
  assert.ok(rtt.timeoutMs < 10, `quiet again, it falls back, got ${rtt.timeoutMs}`);
});

Deno.test("RttEstimator ignores samples that are not round trips", () => {
  const rtt = new RttEstimator();
  rtt.sample(Number.NaN);
  rtt.sample(-1);
  assert.equal(rtt.smoothedMs, undefined);
});
