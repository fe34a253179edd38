import assert from "node:assert/strict";
import { ReplayGuard } from "./replay_guard.ts";

Deno.test("ReplayGuard.check() refuses a message id seen within the window", () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, now: () => now });
  assert.equal(guard.check("a", now), "fresh");
  now += 10_000;
  assert.equal(guard.check("a", now - 10_000), "replayed");
  assert.equal(guard.check("b", now - 10_000), "fresh");
});

Deno.test("ReplayGuard.check() refuses timestamps outside the window, either way", () => {
  const now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, now: () => now });
  assert.equal(guard.check("old", now - 30_001), "stale");
  assert.equal(guard.check("future", now + 30_001), "stale");
  assert.equal(guard.check("edge", now - 30_000), "fresh");
});

Deno.test("ReplayGuard stays bounded and a forgotten id turns stale rather than fresh", () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ windowS: 30, maxEntries: 10, now: () => now });
  for (let i = 0; i < 100; i++) {
    now++;
    assert.equal(guard.check(`id-${i}`, now), "fresh");
    assert.ok(guard.size <= 10);
  }
  // id-0 was forgotten long ago; replaying it must not pass.
  assert.equal(guard.check("id-0", 1_000_001), "stale");
  assert.equal(guard.check("id-99", now), "replayed");
});
