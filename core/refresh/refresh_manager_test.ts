import assert from "node:assert/strict";
import type { DynamicsLevel } from "../adaptive/mod.ts";
import { NodeHost } from "../host.ts";
import type { KademliaNode } from "../kademlia/mod.ts";
import { RefreshManager } from "./refresh_manager.ts";
import { joinedNodes } from "../../tests/_network.ts";
import { waitFor } from "../../tests/_wait_for.ts";

Deno.test("RefreshManager refreshes the bucket of a lost contact at once, then at most once per window", async () => {
  await using host = new NodeHost();
  const [node, ...others] = await joinedNodes(host, 6) as [KademliaNode, ...KademliaNode[]];
  const manager = new RefreshManager(node, { activeMinIntervalS: 0.3 });
  manager.start();
  try {
    node.table.remove(others[0]!.id);
    assert.equal(manager.refreshes.event, 1, "the first loss is served at once");
    await waitFor(() => node.table.get(others[0]!.id) !== undefined, {
      timeoutMs: 2000,
      what: "the refresh found the node again",
    });
    assert.ok(node.transport.stats.requestsByPurpose.refresh! >= 1);
    node.table.remove(others[0]!.id);
    assert.equal(manager.refreshes.event, 1, "the same bucket again within the window waits");
    await waitFor(() => manager.refreshes.event === 2, { timeoutMs: 2000, what: "the next tick served it" });
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager suspects a partition when half the table goes at once, and refreshes every bucket", async () => {
  await using host = new NodeHost();
  const [node, ...others] = await joinedNodes(host, 9) as [KademliaNode, ...KademliaNode[]];
  const manager = new RefreshManager(node, { activeMinIntervalS: 60, immediate: false });
  manager.start();
  try {
    for (const other of others.slice(0, 4)) node.table.remove(other.id);
    assert.equal(manager.refreshes.partition, node.table.buckets().length);
    assert.equal(manager.refreshes.event, 0);
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager.optimize() follows the dynamics: active, normal or maintenance intervals", () => {
  let level: DynamicsLevel = "medium";
  // optimize() only reads the dynamics and sets the node's refresh interval.
  const node = { refreshIntervalS: 0 } as unknown as KademliaNode;
  const manager = new RefreshManager(node, { dynamics: () => level, baseIntervalS: 180 });
  assert.deepEqual([manager.optimize(), node.refreshIntervalS], ["normal", 180]);
  level = "high";
  assert.deepEqual([manager.optimize(), node.refreshIntervalS, manager.activeIntervalS], ["active", 180, 45]);
  manager.baseIntervalS = 300;
  assert.equal(manager.activeIntervalS, 60, "active rounds every 15–60 s");
  manager.baseIntervalS = 40;
  assert.deepEqual([manager.activeIntervalS, node.refreshIntervalS], [15, 40], "never below the active minimum");
  level = "low";
  assert.deepEqual([manager.optimize(), node.refreshIntervalS], ["maintenance", 600]);
  manager.baseIntervalS = 3600;
  level = "medium";
  assert.deepEqual([manager.optimize(), node.refreshIntervalS], ["normal", 600], "never above the stable maximum");
});

Deno.test("RefreshManager forces the active strategy when lookups degrade, and reports its overhead", async () => {
  await using host = new NodeHost();
  const node = (await joinedNodes(host, 4))[3]!;
  const manager = new RefreshManager(node, { activeMinIntervalS: 0.05, dynamics: () => "low" });
  manager.start();
  try {
    assert.equal(manager.strategy, "maintenance");
    for (let i = 0; i < 30; i++) manager.performance.record(100, 10, 0);
    for (let i = 0; i < 10; i++) manager.performance.record(3000, 10, 0);
    await waitFor(() => manager.strategy === "active", { timeoutMs: 2000, what: "the performance trigger fired" });
    assert.equal(manager.refreshes.performance, node.table.buckets().length, "every bucket, at once");
    await waitFor(() => node.transport.pendingCount === 0, { timeoutMs: 2000, what: "the refresh finished" });
    const summary = manager.summary();
    assert.equal(summary.refreshRpcs, node.transport.stats.requestsByPurpose.refresh);
    assert.equal(summary.overhead, summary.refreshRpcs / summary.totalRpcs);
    assert.ok(summary.overhead > 0 && summary.overhead < 1);
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager counts the scheduled refresh lookups of the node's upkeep", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const [node] = await joinedNodes(host, 3) as [KademliaNode];
  const manager = new RefreshManager(node, { now: () => clock, dynamics: () => "low" });
  manager.start();
  try {
    clock += 601_000;
    await node.maintain();
    assert.equal(manager.refreshes.scheduled, node.table.buckets().length);
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager.configure() changes the refresh bounds live, and resetTiming() restores them", async () => {
  await using host = new NodeHost();
  const [node] = await joinedNodes(host, 2) as [KademliaNode];
  const manager = new RefreshManager(node, { dynamics: () => "low", stableMaxIntervalS: 600 });
  manager.start();
  try {
    assert.equal(node.refreshIntervalS, 600, "a quiet network is refreshed every stableMaxIntervalS");
    manager.configure({ stableMaxIntervalS: 120, optimizationIntervalS: 60 });
    assert.equal(node.refreshIntervalS, 120, "the node's refresh interval follows at once");
    assert.deepEqual(manager.timing, { activeMinIntervalS: 15, stableMaxIntervalS: 120, optimizationIntervalS: 60 });
    assert.throws(
      () => manager.configure({ activeMinIntervalS: 200 }),
      /^RangeError: Cannot refresh with activeMinIntervalS 200 above stableMaxIntervalS 120$/,
    );
    assert.throws(() => manager.configure({ optimizationIntervalS: -1 }), /expected seconds > 0/);
    assert.equal(manager.timing.activeMinIntervalS, 15, "a refused change changes nothing");
    manager.resetTiming();
    assert.equal(node.refreshIntervalS, 600);
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager.healed() refreshes every bucket and republishes, at most once per window", async () => {
  await using host = new NodeHost();
  const [node] = await joinedNodes(host, 6) as [KademliaNode];
  await node.set("written on one side of a cut", "v");
  const manager = new RefreshManager(node, { activeMinIntervalS: 60 });
  manager.start();
  try {
    manager.healed();
    assert.equal(manager.refreshes.partition, node.table.buckets().length);
    await waitFor(() => node.transport.stats.requestsByPurpose.republish! > 0, {
      timeoutMs: 2000,
      what: "the value was stored again",
    });
    manager.healed();
    assert.equal(manager.refreshes.partition, node.table.buckets().length, "once per window");
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager stops when disposed: it no longer listens to the node", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const listeners = node.events.lookup.size;
  {
    await using manager = new RefreshManager(node);
    manager.start();
    assert.equal(node.events.lookup.size, listeners + 1);
  }
  assert.equal(node.events.lookup.size, listeners);
});
