import assert from "node:assert/strict";
import { type Contact, NodeId } from "../kademlia/mod.ts";
import { type CheckResult, type HealthLevel, HealthRegistry } from "./registry.ts";

const peer = (n: number): Contact => ({ id: NodeId.fromValue(BigInt(n)), host: "127.0.0.1", port: 4000 + n });
const result = (level: HealthLevel, ok: boolean, atMs: number): CheckResult => ({ level, ok, atMs, durationMs: 1 });

Deno.test("HealthRegistry.record() derives healthy, degraded and unhealthy from the latest results", async (t) => {
  const registry = new HealthRegistry();
  const a = peer(1);
  await t.step("a passed check is healthy", () => assert.equal(registry.record(a, result("fast", true, 1)), "healthy"));
  await t.step("a failed medium check degrades", () => {
    assert.equal(registry.record(a, result("medium", false, 2)), "degraded");
    assert.equal(registry.record(a, result("fast", true, 3)), "degraded", "pings do not undo a failed DHT test");
  });
  await t.step(
    "a failed fast check is unhealthy",
    () => assert.equal(registry.record(a, result("fast", false, 4)), "unhealthy"),
  );
  await t.step("a later passed medium check restores", () => {
    assert.equal(registry.record(a, result("medium", true, 5)), "healthy");
    assert.equal(registry.status(a.id), "healthy");
    assert.equal(registry.lastCheckedMs(a.id, "medium"), 5);
    assert.equal(registry.lastCheckedMs(a.id, "deep"), 0);
  });
  await t.step(
    "a failed deep check degrades",
    () => assert.equal(registry.record(a, result("deep", false, 6)), "degraded"),
  );
});

Deno.test("HealthRegistry keeps a bounded history per contact and forgets the least recently checked", () => {
  const registry = new HealthRegistry({ historySize: 3, maxEntries: 2 });
  for (let i = 0; i < 5; i++) registry.record(peer(1), result("fast", true, i));
  assert.deepEqual(registry.get(peer(1).id)!.history.map((r) => r.atMs), [2, 3, 4]);
  registry.record(peer(2), result("fast", true, 5));
  registry.record(peer(1), result("fast", true, 6));
  registry.record(peer(3), result("fast", false, 7));
  assert.deepEqual(registry.entries().map((e) => e.contact.port), [4001, 4003]);
  assert.equal(registry.status(peer(2).id), undefined);
  assert.equal(registry.size, 2);
});
