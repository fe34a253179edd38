import assert from "node:assert/strict";
import type { DynamicsLevel } from "../adaptive/mod.ts";
import { NodeHost } from "../host.ts";
import { type KademliaNode, LiveParameters, NodeId, type OperationOptions, RoutingTable } from "../kademlia/mod.ts";
import { RefreshManager } from "./refresh_manager.ts";
import { joinedNodes } from "../../tests/_network.ts";
import { VirtualNet } from "../../tests/_virtual_time.ts";
import { waitFor } from "../../tests/_wait_for.ts";

Deno.test("RefreshManager refreshes the bucket of a lost contact at once, then at most once per window", async () => {
  await using net = new VirtualNet();
  const [node, ...others] = await net.joined(6) as [KademliaNode, ...KademliaNode[]];
  const manager = new RefreshManager(node, { activeMinIntervalS: 0.3 });
  manager.start();
  try {
    const firstAtMs = net.nowMs;
    node.table.remove(others[0]!.id);
    assert.equal(manager.refreshes.event, 1, "the first loss is served at once");
    await net.until(() => node.table.get(others[0]!.id) !== undefined, "the refresh found the node again", 2000);
    assert.ok(node.transport.stats.requestsByPurpose.refresh! >= 1);
    const removedAtMs = net.nowMs;
    node.table.remove(others[0]!.id);
    assert.equal(manager.refreshes.event, 1, "the same bucket again within the window waits");
    await net.until(() => manager.refreshes.event === 2, "the next tick served it", 2000);
    // Served at the first tick (every 300 ms) once the window since the first refresh has passed.
    assert.ok(net.nowMs - firstAtMs >= 300, `not within the window: ${net.nowMs - firstAtMs} ms after the first`);
    const dueAtMs = Math.max(removedAtMs, firstAtMs + 300);
    assert.ok(net.nowMs - dueAtMs <= 300, `within one tick of the window: ${net.nowMs - dueAtMs} ms after it ended`);
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
  // optimize() only reads the dynamics and the node's parameters.
  const parameters = new LiveParameters(new RoutingTable(NodeId.random()), {
    alpha: 3,
    timeoutMs: 5000,
    refreshIntervalS: 180,
  });
  const manager = new RefreshManager({ parameters } as unknown as KademliaNode, { dynamics: () => level });
  assert.deepEqual([manager.optimize(), manager.intervalS], ["normal", 180]);
  level = "high";
  assert.deepEqual([manager.optimize(), manager.intervalS, manager.activeIntervalS], ["active", 180, 45]);
  parameters.update({ refreshIntervalS: 300 });
  assert.equal(manager.activeIntervalS, 60, "active rounds every 15–60 s");
  parameters.update({ refreshIntervalS: 40 });
  assert.deepEqual([manager.activeIntervalS, manager.intervalS], [15, 40], "never below the active minimum");
  level = "low";
  assert.deepEqual([manager.optimize(), manager.intervalS], ["maintenance", 600]);
  parameters.update({ refreshIntervalS: 3600 });
  level = "medium";
  assert.deepEqual([manager.optimize(), manager.intervalS], ["normal", 600], "never above the stable maximum");
});

Deno.test("RefreshManager forces the active strategy when lookups degrade, and reports its overhead", async () => {
  await using net = new VirtualNet();
  const nodes = await net.joined(4);
  const node = nodes[3]!;
  const manager = new RefreshManager(node, { activeMinIntervalS: 0.05, dynamics: () => "low" });
  manager.start();
  try {
    assert.equal(manager.strategy, "maintenance");
    for (let i = 0; i < 30; i++) manager.performance.record(100, 10, 0);
    for (let i = 0; i < 10; i++) manager.performance.record(3000, 10, 0);
    await net.until(() => manager.strategy === "active", "the performance trigger fired", 100);
    assert.equal(manager.refreshes.performance, node.table.buckets().length, "every bucket, at once");
    await net.until(() => node.transport.pendingCount === 0, "the refresh finished", 2000);
    const summary = manager.summary();
    assert.equal(summary.refreshRpcs, node.transport.stats.requestsByPurpose.refresh);
    assert.equal(summary.overhead, summary.refreshRpcs / summary.totalRpcs);
    assert.ok(summary.overhead > 0 && summary.overhead < 1);
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager.refreshIdle() looks up a generated key of every idle bucket with the injected query", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const [node] = await joinedNodes(host, 3) as [KademliaNode];
  const keys: NodeId[] = [];
  const purposes: Array<string | undefined> = [];
  const manager = new RefreshManager(node, {
    now: () => clock,
    dynamics: () => "low",
    generateKey: (lo, hi) => keys[keys.push(NodeId.randomInRange(lo, hi)) - 1]!,
    query: (target: NodeId, options: OperationOptions) => {
      purposes.push(options.purpose);
      return node.findNode(target, options);
    },
  });
  manager.start();
  try {
    assert.equal(await manager.refreshIdle(), 0, "no bucket is idle right after the join");
    clock += 601_000; // past the maintenance strategy's interval (stableMaxIntervalS)
    const idle = node.table.staleRanges(600_000);
    assert.ok(idle.length > 0);
    assert.equal(await manager.refreshIdle(), idle.length);
    assert.deepEqual(
      keys.map((key) => idle.findIndex(([lo, hi]) => key.value >= lo && key.value < hi)),
      idle.map((_, i) => i),
      "one generated key in each idle bucket, in order",
    );
    assert.deepEqual(purposes, idle.map(() => "refresh"), "each looked up by the injected query, tagged refresh");
    assert.deepEqual(node.table.staleRanges(600_000), [], "every idle bucket was refreshed");
    assert.equal(node.table.size, 2, "and the contacts stayed");
    assert.equal(manager.refreshes.scheduled, idle.length, "counted as scheduled refreshes");
  } finally {
    await manager.stop();
  }
});

Deno.test("RefreshManager with adaptive: false refreshes idle buckets at the node's interval, nothing on losses", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const [node, other] = await joinedNodes(host, 3) as [KademliaNode, KademliaNode];
  const manager = new RefreshManager(node, {
    now: () => clock,
    adaptive: false,
    activeMinIntervalS: 3600,
    stableMaxIntervalS: 3600,
  });
  manager.start();
  try {
    assert.equal(manager.intervalS, 3600, "the node's refresh interval, unclamped");
    node.table.remove(other.id);
    assert.deepEqual(manager.refreshes, { event: 0, partition: 0, performance: 0, scheduled: 0 });
    clock += 200_000;
    node.parameters.update({ refreshIntervalS: 100 });
    assert.equal(manager.intervalS, 100, "follows the node's parameter");
    await waitFor(() => manager.refreshes.scheduled === node.table.buckets().length, {
      timeoutMs: 2000,
      what: "the shorter interval refreshed the now idle buckets at once",
    });
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
    assert.equal(manager.intervalS, 600, "a quiet network is refreshed every stableMaxIntervalS");
    manager.configure({ stableMaxIntervalS: 120, optimizationIntervalS: 60 });
    assert.equal(manager.intervalS, 120, "the interval in force follows at once");
    assert.deepEqual(manager.timing, { activeMinIntervalS: 15, stableMaxIntervalS: 120, optimizationIntervalS: 60 });
    assert.throws(
      () => manager.configure({ activeMinIntervalS: 200 }),
      /^RangeError: Cannot refresh with activeMinIntervalS 200 above stableMaxIntervalS 120$/,
    );
    assert.throws(() => manager.configure({ optimizationIntervalS: -1 }), /expected seconds > 0/);
    assert.equal(manager.timing.activeMinIntervalS, 15, "a refused change changes nothing");
    manager.resetTiming();
    assert.equal(manager.intervalS, 600);
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
