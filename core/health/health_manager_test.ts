import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { type Contact, type KademliaNode, NodeId } from "../kademlia/mod.ts";
import { decodeFrame, encodeResponse } from "../net/mod.ts";
import { CheckBudget } from "./check_budget.ts";
import { HealthManager } from "./health_manager.ts";
import { type LivenessPolicy, livenessPolicyFor } from "./liveness_policy.ts";
import { VirtualNet } from "../../tests/_virtual_time.ts";
import { waitFor } from "../../tests/_wait_for.ts";

/** Nodes joined through the first, which judges contacts by `liveness` when given. */
async function checkedNetwork(host: NodeHost, count: number, liveness?: LivenessPolicy) {
  const nodes = [host.start(liveness ? { liveness } : {})];
  for (let i = 1; i < count; i++) {
    const node = host.start();
    await node.bootstrap([nodes[0]!.address]);
    await host.settled();
    nodes.push(node);
  }
  return nodes;
}

const handedOut = new Set<number>();

/** A port nobody listens on, a different one each time (a routing table holds one contact per address). */
function deadPort(): number {
  for (;;) {
    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (conn.addr as Deno.NetAddr).port;
    conn.close();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

const fakeContact = (): Contact => ({ id: NodeId.random(), host: "127.0.0.1", port: deadPort() });

Deno.test("HealthManager fast check removes a dead contact from the routing table and marks it unhealthy", async () => {
  await using host = new NodeHost();
  const [a, b, c] = await checkedNetwork(host, 3) as [KademliaNode, KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { fast: { intervalS: 0.2, timeoutMs: 200 }, levels: ["fast"], slices: 2 });
  const removed: string[] = [];
  a.table.changes.on((change) => change.kind === "removed" && removed.push(change.contact.id.hex));
  await host.stop(c);
  manager.start();
  try {
    await waitFor(() => a.table.get(c.id) === undefined, { timeoutMs: 2000, what: "the dead contact left the table" });
  } finally {
    await manager.stop();
  }
  assert.deepEqual(removed, [c.id.hex]);
  assert.equal(manager.registry.status(c.id), "unhealthy");
  assert.match(manager.registry.get(c.id)!.history.at(-1)!.failure!, /^ping got no answer/);
  assert.equal(manager.registry.status(b.id), "healthy");
  assert.ok(a.table.get(b.id), "the live contact stays");
  assert.deepEqual(manager.counts(), { healthy: 1, degraded: 0, unhealthy: 1, unchecked: 0 });
  assert.ok((a.transport.stats.requestsByPurpose.health ?? 0) >= 2);
});

Deno.test("HealthManager medium check marks degraded a contact that answers pings but cannot store", async () => {
  await using host = new NodeHost();
  const [a, healthy] = await checkedNetwork(host, 2) as [KademliaNode, KademliaNode];
  // A node whose value limit refuses every value: alive, but its DHT storage does not work.
  const refusing = host.start({ maxValueBytes: 1 });
  await refusing.bootstrap([a.address]);
  await host.settled();
  const manager = new HealthManager(a, { levels: ["medium"] });
  for (const contact of [healthy.contact, refusing.contact]) await manager.check(contact, "medium");
  assert.equal(manager.registry.status(healthy.id), "healthy");
  assert.match(String(healthy.records.get(a.id)), /^cqkd-health /, "the test value is held under the checker's id");
  assert.equal(manager.registry.status(refusing.id), "degraded");
  assert.equal(manager.registry.get(refusing.id)!.history[0]!.failure, "store refused the value");
  assert.ok(a.table.get(refusing.id), "a degraded contact stays in the routing table");
  assert.deepEqual(manager.counts(), { healthy: 1, degraded: 1, unhealthy: 0, unchecked: 0 });
});

Deno.test("HealthManager deep check runs the full suite and flags a contact whose routing names only dead nodes", async () => {
  await using host = new NodeHost();
  const [a, b] = await checkedNetwork(host, 2) as [KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { levels: ["deep"], deep: { timeoutMs: 300 } });
  const passed = await manager.check(b.contact, "deep");
  assert.equal(passed.ok, true, passed.failure);
  // A node that names nothing but two dead contacts for our id.
  const stale = host.start();
  stale.table.add(fakeContact());
  stale.table.add(fakeContact());
  const failed = await manager.check(stale.contact, "deep");
  assert.equal(failed.failure, "routing named only contacts that do not answer");
  assert.equal(manager.registry.status(stale.id), "degraded");
});

Deno.test("HealthManager.runBatch() pings a slice of the table, skipping contacts heard from recently", async (t) => {
  await using host = new NodeHost();
  const node = host.start();
  const manager = new HealthManager(node, { fast: { intervalS: 30, timeoutMs: 100 }, slices: 10, levels: ["fast"] });
  await t.step("a tenth of the table per batch", async () => {
    const heard = host.start();
    await heard.bootstrap([node.address]);
    await host.settled();
    for (let i = 0; i < 59; i++) node.table.add(fakeContact());
    for (let i = 0; i < 40; i++) node.table.add(fakeContact(), { hearsay: true });
    await manager.runBatch("fast");
    assert.equal(manager.stats.fast.checks, 10, "10 of the 40 only heard of; none of the 60 heard from now");
    assert.equal(manager.registry.status(heard.id), undefined, "heard from recently: not pinged");
  });
  await t.step("a fifth of a backlog per batch, when it is larger", async () => {
    for (let i = 0; i < 100; i++) node.table.add(fakeContact(), { hearsay: true });
    // The 10 checked were only heard of: one failure removed them. 190 contacts: 60 heard from, 130 due.
    assert.equal(node.table.size, 190);
    await manager.runBatch("fast");
    assert.equal(manager.stats.fast.checks, 10 + Math.ceil((2 * 130) / 10));
  });
});

Deno.test("HealthManager keeps a contact found dead out while others name it, until it is heard from again", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ rpcTimeoutMs: 200, now: () => clock });
  const fast = { intervalS: 3600, timeoutMs: 200 };
  const liveness = livenessPolicyFor({ fast, now: () => clock });
  const [a, b, c] = await checkedNetwork(host, 3, liveness) as [KademliaNode, KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { levels: ["fast"], fast, now: () => clock });
  manager.start();
  try {
    await host.stop(c);
    clock += fast.intervalS * 1000 + 1; // not heard from within the fast interval: no benefit of the doubt
    await a.findNode(NodeId.random());
    await waitFor(() => a.table.get(c.id) === undefined, {
      timeoutMs: 1000,
      what: "the lookup's silent RPC dropped it",
    });
    assert.equal(manager.registry.status(c.id), "unhealthy", "and counts as a failed fast check");
    await a.refreshBucket(c.id);
    assert.ok(b.table.get(c.id), "b still names c");
    assert.equal(a.table.get(c.id), undefined, "a does not take it back on b's word");
    clock += 1;
    const revived = host.start({ id: c.id, port: c.address.port });
    await revived.ping(a.address);
    assert.ok(a.table.get(c.id), "heard from directly, it is admitted");
    assert.equal(manager.registry.status(c.id), "healthy");
  } finally {
    await manager.stop();
  }
  assert.equal(manager.registry, liveness.registry, "the checks were recorded where a's policy reads them");
  assert.equal(b.table.admitHearsay, undefined, "b, started without a policy, admits every contact named");
  assert.equal(b.liveness, undefined, "and drops one that misses an answer");
});

Deno.test("HealthManager keeps a contact heard from lately that misses an RPC until the next fast batch confirms", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  const liveness = livenessPolicyFor({ fast: { timeoutMs: 200 } });
  const [a, b, c] = await checkedNetwork(host, 3, liveness) as [KademliaNode, KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { levels: ["fast"], fast: { timeoutMs: 200 }, slices: 10 });
  manager.start();
  try {
    b.rpc.unregister("find_node"); // alive, but silent to lookups (as a live node of a starved process can be)
    await host.stop(c);
    const silent = new Set<string>();
    a.events.rpcFailure.on(({ contact }) => silent.add(contact.id.hex));
    await a.findNode(NodeId.random());
    await waitFor(() => silent.size === 2, { timeoutMs: 1000, what: "both missed an answer" });
    assert.deepEqual([...silent].sort(), [b.id.hex, c.id.hex].sort(), "both missed an answer");
    assert.ok(a.table.get(b.id) && a.table.get(c.id), "both were heard from lately: kept");
    assert.equal(manager.registry.status(b.id), undefined, "nothing held against them yet");
    assert.equal(manager.registry.status(c.id), undefined);
    await manager.runBatch("fast");
    assert.deepEqual([manager.registry.status(b.id), manager.registry.status(c.id)], ["healthy", "unhealthy"]);
    assert.ok(a.table.get(b.id), "b answered its ping: it stays");
    assert.equal(a.table.get(c.id), undefined, "c's silence is confirmed: it leaves");
  } finally {
    await manager.stop();
  }
});

Deno.test("HealthManager fast check pings again when the first ping is lost", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const contact = { id: NodeId.random(), host: "127.0.0.1", port: (peer.addr as Deno.NetAddr).port };
  let pings = 0;
  const answering = (async () => {
    // A peer that loses the first ping and answers the next.
    for (;;) {
      const [datagram, from] = await peer.receive().catch(() => [undefined, undefined] as const);
      if (datagram === undefined) return;
      const frame = decodeFrame(datagram);
      if (++pings > 1) await peer.send(encodeResponse(frame.messageId, contact.id.bytes), from);
    }
  })();
  try {
    const manager = new HealthManager(node, { levels: ["fast"], fast: { timeoutMs: 400 } });
    const result = await manager.check(contact, "fast");
    assert.deepEqual([result.ok, pings], [true, 2]);
  } finally {
    peer.close();
    await answering;
  }
});

Deno.test("HealthManager holds nothing against a contact when this process stalled past the timeout", async () => {
  await using host = new NodeHost();
  const node = host.start();
  const silent = fakeContact();
  node.table.add(silent);
  const manager = new HealthManager(node, { levels: ["fast"], fast: { timeoutMs: 200 } });
  const pending = manager.check(silent, "fast");
  const until = performance.now() + 700;
  while (performance.now() < until) { /* the event loop is blocked, as by an overloaded host */ }
  const result = await pending;
  assert.equal(result.inconclusive, true);
  assert.equal(manager.registry.status(silent.id), undefined, "not recorded");
  assert.ok(node.table.get(silent.id), "not removed");
  const { checks, failures, inconclusive, lastAtMs, maxDurationMs } = manager.stats.fast;
  assert.deepEqual([checks, failures, inconclusive], [1, 0, 1]);
  assert.ok(lastAtMs > 0 && maxDurationMs >= 600, `the check's time is counted: ${maxDurationMs} ms`);
});

Deno.test("HealthManager keeps failing contacts once half the table failed at once (a partition, or a stalled host)", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const node = host.start();
  const contacts = Array.from({ length: 6 }, fakeContact);
  for (const c of contacts) node.table.add(c);
  const manager = new HealthManager(node, { levels: ["fast"], fast: { timeoutMs: 100 }, slices: 1, now: () => clock });
  clock += 31_000;
  await manager.runBatch("fast");
  assert.deepEqual(contacts.map((c) => manager.registry.status(c.id)), Array(6).fill("unhealthy"));
  assert.equal(node.table.size, 6, "one failed check makes a suspect, not a removal");
  clock += 30_000;
  await manager.runBatch("fast");
  assert.equal(node.table.size, 3, "confirmed: three removed; then the rest is kept");
});

Deno.test("HealthManager removes a contact only when a second fast check a batch later confirms the first", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  // An hour's interval: the batches started by start() do not come within the test; they are run by hand.
  const fast = { intervalS: 3600, timeoutMs: 100 };
  const node = host.start({ liveness: livenessPolicyFor({ fast, now: () => clock }) });
  const flaky = host.start();
  await flaky.bootstrap([node.address]);
  await host.settled();
  const manager = new HealthManager(node, { levels: ["fast"], fast, slices: 10, now: () => clock });
  manager.start();
  try {
    clock += fast.intervalS * 1000 + 1;
    flaky.rpc.unregister("ping");
    await manager.runBatch("fast");
    assert.equal(manager.registry.status(flaky.id), "unhealthy");
    assert.ok(node.table.get(flaky.id), "a suspect stays");
    assert.ok(node.table.admitHearsay!(flaky.contact), "and lookups still ask it when others name it");
    flaky.rpc.register("ping", () => flaky.id.bytes);
    await manager.runBatch("fast");
    assert.equal(manager.stats.fast.checks, 1, "not again within the same slice");
    clock += fast.intervalS * 100; // a slice
    await manager.runBatch("fast");
    assert.deepEqual([manager.stats.fast.checks, manager.registry.status(flaky.id)], [2, "healthy"]);
    assert.ok(node.table.get(flaky.id), "it answered the confirmation");
  } finally {
    await manager.stop();
  }
});

Deno.test("HealthManager starts no batch of a level while its last one is still running (virtual time)", async () => {
  await using net = new VirtualNet();
  const node = net.start();
  for (let i = 0; i < 10; i++) node.table.add(net.deadContact());
  // Slices of 10 ms; each batch of 2 silent contacts takes the whole 300 ms timeout.
  const manager = new HealthManager(node, { levels: ["fast"], fast: { intervalS: 0.1, timeoutMs: 300 }, slices: 10 });
  let mostPending = 0;
  manager.start();
  try {
    // The pending RPCs sampled every 5 ms for 250 ms.
    for (let ms = 0; ms < 250; ms += 5) {
      await net.advance(5);
      mostPending = Math.max(mostPending, node.transport.pendingCount);
    }
  } finally {
    await manager.stop();
  }
  assert.ok(mostPending > 0, "the first batch ran");
  assert.ok(mostPending <= 2, `one batch of 2 contacts at a time, not a batch every slice: ${mostPending} pending`);
});

Deno.test("HealthManager.configure() changes a level's interval and timeout live, and resetTiming() restores them", async () => {
  await using net = new VirtualNet();
  const [node, other] = await net.joined(2) as [KademliaNode, KademliaNode];
  // An hour between fast checks: none would run within the test unless the interval is shortened.
  const manager = new HealthManager(node, { levels: ["fast"], fast: { intervalS: 3600, timeoutMs: 2000 }, slices: 1 });
  manager.start();
  try {
    // The only contact was heard from just now, which spares it a fast check for one interval.
    manager.configure("fast", { intervalS: 0.05, timeoutMs: 500 });
    assert.deepEqual([manager.timing("fast").intervalS, manager.timing("fast").timeoutMs], [0.05, 500]);
    await net.until(() => manager.stats.fast.checks > 0, "the shortened interval brought the next batch forward", 2000);
    assert.equal(manager.registry.status(other.id), "healthy");
    assert.throws(() => manager.configure("fast", { timeoutMs: 0 }), /the fast interval and timeout must be > 0/);
    assert.equal(manager.timing("fast").timeoutMs, 500, "a refused change changes nothing");
    manager.resetTiming();
    assert.deepEqual([manager.timing("fast").intervalS, manager.timing("fast").timeoutMs], [3600, 2000]);
  } finally {
    await manager.stop();
  }
});

Deno.test("HealthManager hands its values over to a contact that answers again after failing (a healed partition)", async () => {
  await using net = new VirtualNet();
  const [a, b] = await net.joined(2) as [KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { levels: ["fast"] });
  a.records.put(NodeId.random(), "written while b was cut off");

  await net.settle(manager.check(b.contact, "fast"));
  await net.advance(5000);
  assert.equal(b.records.size, 0, "a contact that never failed has its values already");

  manager.registry.record(b.contact, { level: "fast", ok: false, atMs: net.nowMs, durationMs: 0, failure: "cut" });
  assert.equal((await net.settle(manager.check(b.contact, "fast"))).ok, true);
  await net.until(() => b.records.size > 0, "the values were handed over", 5000);
  assert.deepEqual(b.records.records().map((r) => r.value), ["written while b was cut off"]);
});

Deno.test("HealthManager checks one lost contact per fast interval and reports it revived when it answers", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const [a, b] = await checkedNetwork(host, 2) as [KademliaNode, KademliaNode];
  const manager = new HealthManager(a, { levels: ["fast"], fast: { intervalS: 30, timeoutMs: 500 }, now: () => clock });
  const revived: string[] = [];
  manager.revived.on((contact) => revived.push(contact.id.hex));
  const dead = fakeContact();
  // Both lost to failures (a cut, say): out of the table, unhealthy.
  for (const contact of [b.contact, dead]) {
    manager.registry.record(contact, { level: "fast", ok: false, atMs: clock, durationMs: 0, failure: "cut" });
    a.table.remove(contact.id);
  }
  clock += 31_000;
  await manager.runBatch("fast");
  await manager.runBatch("fast");
  const checked = [b, dead].filter((c) => manager.registry.lastCheckedMs(c.id, "fast") === clock).length;
  assert.equal(checked, 1, "one lost contact per fast interval");
  clock += 31_000;
  await manager.runBatch("fast");
  assert.deepEqual(revived, [b.id.hex], "b answered");
  assert.ok(a.table.get(b.id), "and took its slot again");
  assert.equal(manager.registry.status(dead.id), "unhealthy");
});

Deno.test("HealthManager gives up on a lost contact once its whole history failed", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock });
  const node = host.start();
  const manager = new HealthManager(node, { levels: ["fast"], registry: { historySize: 2 }, now: () => clock });
  const dead = fakeContact();
  for (let i = 0; i < 2; i++) {
    manager.registry.record(dead, { level: "fast", ok: false, atMs: clock, durationMs: 0, failure: "cut" });
  }
  clock += 31_000;
  await manager.runBatch("fast");
  assert.equal(node.transport.stats.requestsOut, 0);
});

Deno.test("HealthManager stops when disposed: its listeners are gone, and it never rewrites the node's policy", async () => {
  await using host = new NodeHost();
  const liveness = livenessPolicyFor();
  const node = host.start({ liveness });
  const bare = host.start();
  const listeners = node.events.rpcFailure.size;
  const tableListeners = node.table.changes.size;
  {
    await using manager = new HealthManager(node, { levels: ["fast"] });
    await using bareManager = new HealthManager(bare, { levels: ["fast"] });
    manager.start();
    bareManager.start();
    assert.equal(manager.registry, liveness.registry, "the manager judges by the policy the node was built with");
    assert.equal(node.events.rpcFailure.size, listeners + 1);
    assert.equal(node.table.changes.size, tableListeners + 1);
    assert.equal(bare.liveness, undefined, "a node built without a policy keeps the paper's rules");
    assert.equal(bare.table.admitHearsay, undefined);
  }
  assert.equal(node.liveness, liveness);
  assert.equal(node.events.rpcFailure.size, listeners);
  assert.equal(node.table.changes.size, tableListeners);
});

Deno.test("HealthManager with an empty budget sends no check; its batches take what the budget allows", async () => {
  await using host = new NodeHost();
  const nodes = await checkedNetwork(host, 5);
  const a = nodes[0]!;
  let now = 0;
  const budget = new CheckBudget({ ratePerS: 1, burst: 2, nowMs: () => now });
  // Every contact is due: the table's contacts were never checked and are not heard from within 1 ms.
  const manager = new HealthManager(a, {
    levels: ["fast"],
    fast: { intervalS: 0.001, timeoutMs: 1000 },
    slices: 1,
    budget,
  });
  const checked = () => manager.stats.fast.checks;
  await manager.runBatch("fast");
  assert.equal(checked(), 2, "the burst pays for two checks of the four due");
  await manager.runBatch("fast");
  assert.equal(checked(), 2, "an empty budget skips the batch");
  assert.equal(budget.refused, 2 + 1);
  now += 1000;
  await manager.runBatch("fast");
  assert.equal(checked(), 3, "one second earns one check back");
  await manager.stop();
});
