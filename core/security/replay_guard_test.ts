import assert from "node:assert/strict";
import { ReplayGuard } from "./replay_guard.ts";

const A = "10.0.0.1:4000";
const B = "10.0.0.2:4000";

Deno.test("ReplayGuard.check() refuses a message id seen within the window", () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, now: () => now });
  assert.equal(guard.check("a", now, A), "fresh");
  now += 10_000;
  assert.equal(guard.check("a", now - 10_000, A), "replayed");
  assert.equal(guard.check("a", now - 10_000, B), "replayed", "message ids are global: a copy from elsewhere too");
  assert.equal(guard.check("b", now - 10_000, A), "fresh");
});

Deno.test("ReplayGuard.check() refuses timestamps older than the window, or ahead by more than the skew", () => {
  const now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, futureSkewS: 2, now: () => now });
  assert.equal(guard.check("old", now - 30_001, A), "stale");
  assert.equal(guard.check("edge", now - 30_000, A), "fresh");
  assert.equal(guard.check("future", now + 2_001, A), "stale");
  assert.equal(guard.check("skewed", now + 2_000, A), "fresh");
});

Deno.test("ReplayGuard stays bounded and a forgotten id turns stale rather than fresh", () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, maxEntries: 10, now: () => now });
  for (let i = 0; i < 100; i++) {
    now++;
    assert.equal(guard.check(`id-${i}`, now, A), "fresh");
    assert.ok(guard.size <= 10);
  }
  // id-0 was forgotten long ago; replaying it must not pass.
  assert.equal(guard.check("id-0", 1_000_001, A), "stale");
  assert.equal(guard.check("id-99", now, A), "replayed");
});

Deno.test("ReplayGuard: the cut-off left by forgotten ids is the sender's own, not imposed on others", () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, futureSkewS: 2, maxEntries: 10, now: () => now });
  for (let i = 0; i < 50; i++) assert.equal(guard.check(`fast-${i}`, ++now + 2_000, A), "fresh");
  assert.equal(guard.check("honest", now, B), "fresh");
  assert.equal(guard.check("late", now + 1_000, A), "stale", "A's own earlier stamps are cut off");
});
