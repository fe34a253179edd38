import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { RpcTimeoutError } from "../net/rpc_errors.ts";
import type { Contact } from "./contact.ts";
import { BootstrapError, type KademliaNode, type KademliaNodeOptions } from "./node.ts";
import { NodeId } from "./node_id.ts";
import { InvalidValueError } from "./value.ts";
import { VirtualNet } from "../../tests/_virtual_time.ts";
import { waitFor } from "../../tests/_wait_for.ts";

/** Starts `count` nodes (options per node allowed) and joins each, in order, through the first. */
async function network(host: NodeHost, count: number, options: (i: number) => KademliaNodeOptions = () => ({})) {
  const nodes = [host.start(options(0))];
  for (let i = 1; i < count; i++) {
    const node = host.start(options(i));
    await node.bootstrap([nodes[0]!.address]);
    await host.settled();
    nodes.push(node);
  }
  return nodes;
}

const byDistanceTo = (key: NodeId) => (a: KademliaNode, b: KademliaNode) =>
  a.id.distanceTo(key) < b.id.distanceTo(key) ? -1 : 1;

/** A port nobody listens on. */
function deadPort(): number {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (conn.addr as Deno.NetAddr).port;
  conn.close();
  return port;
}

Deno.test("KademliaNode.bootstrap() fills the routing tables of the joining node and of those it meets", async () => {
  await using host = new NodeHost();
  const nodes = await network(host, 10);
  for (const node of nodes) {
    assert.equal(node.table.size, 9, `node ${nodes.indexOf(node)} knows ${node.table.size} of 9`);
    for (const other of nodes) {
      if (other === node) continue;
      assert.deepEqual(node.table.get(other.id), { id: other.id, ...other.address });
    }
  }
  const late = host.start();
  const result = await late.bootstrap([nodes[3]!.address]);
  assert.equal(result.contacts, 10);
  assert.equal(late.table.size, 10);
});

Deno.test("KademliaNode.bootstrap() throws BootstrapError when no address answers", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200 });
  const node = host.start();
  const dead = { host: "127.0.0.1", port: deadPort() };
  await assert.rejects(node.bootstrap([dead]), (error) => {
    assert.ok(error instanceof BootstrapError);
    assert.equal(error.message, `Cannot join the network: no answer from 127.0.0.1:${dead.port}`);
    assert.deepEqual(error.tried, [dead]);
    assert.ok(error.cause instanceof RpcTimeoutError);
    return true;
  });
  assert.equal(node.table.size, 0);
});

Deno.test("KademliaNode.set() stores on the k closest nodes and get() finds it from any node", async () => {
  await using host = new NodeHost({ k: 3 });
  const nodes = await network(host, 12);
  const key = await NodeId.digest("greeting");
  const writer = nodes[5]!;
  const result = await writer.set("greeting", "hello world");
  assert.deepEqual(result, { key, replicas: 3, asked: 3 });
  const others = nodes.filter((n) => n !== writer).sort(byDistanceTo(key));
  for (const [i, node] of others.entries()) {
    assert.equal(node.records.get(key), i < 3 ? "hello world" : undefined, `node ${i} from the key`);
  }
  const writerIsClose = writer.id.distanceTo(key) < others[2]!.id.distanceTo(key);
  assert.equal(writer.records.get(key), writerIsClose ? "hello world" : undefined, "held by the writer iff close");
  assert.deepEqual(writer.publications.dueFor(0).map((p) => p.value), ["hello world"], "kept to republish");
  for (const node of nodes) assert.equal(await node.get("greeting"), "hello world");
  assert.equal(await nodes[0]!.get("nobody-wrote-this"), undefined);
});

Deno.test("KademliaNode.set() and get() round-trip every value type across nodes", async (t) => {
  await using host = new NodeHost({ k: 2 });
  const nodes = await network(host, 8);
  const cases: Array<[string, unknown, unknown]> = [
    ["string", "ünïcode ✓", "ünïcode ✓"],
    ["empty string", "", ""],
    ["integer", 42, 42],
    ["negative float", -3.25, -3.25],
    ["64-bit integer", 2n ** 62n + 1n, 2n ** 62n + 1n],
    ["true", true, true],
    ["false", false, false],
    ["bytes", new Uint8Array([0, 1, 2, 254, 255]), new Uint8Array([0, 1, 2, 254, 255])],
    ["object", { a: [1, 2], b: { c: null } }, '{"a":[1,2],"b":{"c":null}}'],
    ["array", [1, "x"], '[1,"x"]'],
  ];
  for (const [name, value, expected] of cases) {
    await t.step(name, async () => {
      const key = await NodeId.digest(`type-${name}`);
      await nodes[0]!.set(key, value);
      const reader = nodes.filter((n) => n !== nodes[0]).sort(byDistanceTo(key)).at(-1)!;
      assert.equal(reader.records.get(key), undefined, "the reader must not hold it already");
      assert.deepEqual(await reader.get(key), expected);
    });
  }
});

Deno.test("KademliaNode.set() refuses bad and oversize values with InvalidValueError and stores nothing", async () => {
  await using host = new NodeHost({ maxValueBytes: 100 });
  const nodes = await network(host, 3);
  await assert.rejects(nodes[0]!.set("big", "x".repeat(200)), {
    name: "InvalidValueError",
    message: "Cannot store the value: it is 202 bytes encoded, the limit is 100",
  });
  await assert.rejects(nodes[0]!.set("nothing", null), InvalidValueError);
  await assert.rejects(nodes[0]!.set("nan", NaN), InvalidValueError);
  for (const node of nodes) assert.equal(node.records.size, 0);
  // A store RPC from elsewhere over the limit is answered false and not kept either.
  const key = await NodeId.digest("big");
  const answer = await nodes[1]!.transport.request(nodes[2]!.address, "store", [
    nodes[1]!.id.bytes,
    key.bytes,
    "x".repeat(200),
  ]);
  assert.equal(answer, false);
  assert.equal(nodes[2]!.records.get(key), undefined);
});

Deno.test("KademliaNode.get() caches a found value at the closest node that lacked it", async () => {
  const key = await NodeId.digest("cache-me");
  const near = (n: bigint) => NodeId.fromValue(key.value ^ (n << 100n));
  await using host = new NodeHost();
  // n1..n4 are closest to the key, then the holder; the reader is far away.
  const [n1, n2, n3, n4, holder, reader] = await network(
    host,
    6,
    (i) => ({ id: near(i < 5 ? BigInt(i + 1) : 1n << 59n) }),
  );
  holder!.records.put(key, "cached value");
  reader!.parameters.update({ alpha: 1 }); // one query at a time, so that n1 has answered when the value turns up
  assert.equal(await reader!.get(key), "cached value");
  await waitFor(() => n1!.records.get(key) !== undefined, { timeoutMs: 3000, what: "n1 caches the value" });
  assert.equal(n1!.records.get(key), "cached value");
  for (const node of [n2, n3, n4, reader]) assert.equal(node!.records.get(key), undefined);
});

Deno.test("KademliaNode hands a stored key over to a new node closer to it", async () => {
  const key = await NodeId.digest("hand-me-over");
  await using host = new NodeHost();
  const far = [159n, 158n, 157n].map((bit) => NodeId.fromValue(key.value ^ (1n << bit)));
  const nodes = await network(host, 3, (i) => ({ id: far[i]! }));
  await nodes[0]!.set(key, "handed over");
  const newcomer = host.start({ id: NodeId.fromValue(key.value ^ 1n) });
  assert.equal(newcomer.records.get(key), undefined);
  await newcomer.bootstrap([nodes[0]!.address]);
  await waitFor(() => newcomer.records.get(key) !== undefined, {
    timeoutMs: 3000,
    what: "the newcomer receives the key",
  });
  assert.equal(newcomer.records.get(key), "handed over");
  assert.equal(newcomer.publications.size, 0, "a handed-over value is held, not published, by the newcomer");
});

Deno.test("KademliaNode hands a stored key over to a contact first heard from after others only named it", async () => {
  const key = await NodeId.digest("named-first");
  await using host = new NodeHost();
  const holder = host.start({ id: NodeId.fromValue(key.value ^ (1n << 159n)) });
  const named = host.start({ id: NodeId.fromValue(key.value ^ 1n) });
  holder.records.put(key, "kept for the named one");
  holder.table.add(named.contact, { hearsay: true }); // as a lookup answer names it
  await named.ping(holder.address);
  await waitFor(() => named.records.get(key) !== undefined, {
    timeoutMs: 3000,
    what: "the named node receives the key once heard from",
  });
});

Deno.test("KademliaNode.bootstrap() pings a seed again when the first ping is lost", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 400 });
  const seed = host.start();
  let datagrams = 0;
  // The joiner's first datagram (its first ping) is lost, every later one goes.
  const joiner = host.start({ faults: { dropProbability: 0.5, random: () => datagrams++ === 0 ? 0 : 0.9 } });
  const { reached } = await joiner.bootstrap([seed.address]);
  assert.deepEqual(reached, [seed.address]);
  assert.equal(joiner.transport.stats.injectedDrops, 1);
});

Deno.test("KademliaNode copies a value to the node that takes a lost holder's place among the k closest", async () => {
  const key = await NodeId.digest("keep-three-replicas");
  await using host = new NodeHost({ k: 3 });
  // Distances to the key grow with the flipped bit: nodes 0-3 are the closest, in order; node 4 is far.
  const ids = [1n, 2n, 3n, 4n, 159n].map((bit) => NodeId.fromValue(key.value ^ (1n << bit)));
  const nodes = await network(host, 5, (i) => ({ id: ids[4 - i]! })).then((n) => n.reverse());
  for (const node of nodes) await node.findNode(node.id);
  await nodes[4]!.set(key, "three copies");
  assert.deepEqual(nodes.map((n) => n.records.get(key) !== undefined), [true, true, true, false, false]);
  await host.stop(nodes[1]!);
  nodes[0]!.table.remove(nodes[1]!.id); // what the closest holder's health checks do with a dead contact
  await waitFor(() => nodes[3]!.records.get(key) !== undefined, {
    timeoutMs: 3000,
    what: "the fourth closest holds a copy",
  });
});

Deno.test("KademliaNode.stun() returns the address the peer sees us at", async () => {
  await using host = new NodeHost();
  const [a, b] = [host.start(), host.start()];
  assert.deepEqual(await a.stun(b.address), { host: "127.0.0.1", port: a.address.port });
  assert.deepEqual(await b.stun(a.address), b.address);
});

Deno.test("KademliaNode.learnAddress() advertises the address a peer sees a wildcard-bound node at", async (t) => {
  await using host = new NodeHost();
  const peer = host.start();
  await t.step("bound to 0.0.0.0: the peer's view replaces the wildcard", async () => {
    const wildcard = host.start({ host: "0.0.0.0" });
    assert.equal(wildcard.advertisedAddress.host, "0.0.0.0");
    assert.deepEqual(await wildcard.learnAddress(peer.address), { host: "127.0.0.1", port: wildcard.address.port });
    assert.deepEqual(wildcard.advertisedAddress, { host: "127.0.0.1", port: wildcard.address.port });
  });
  await t.step("a given host or a specific bind stays as it is", async () => {
    const given = host.start({ host: "0.0.0.0", advertisedHost: "10.1.2.3" });
    assert.deepEqual(await given.learnAddress(peer.address), { host: "10.1.2.3", port: given.address.port });
    const bound = host.start();
    assert.deepEqual(await bound.learnAddress(peer.address), bound.address);
  });
});

Deno.test("KademliaNode.maintain() republishes own values and expires others'", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock, valueTtlS: 100, republishIntervalS: 10 });
  const [writer, holder] = await network(host, 2);
  const key = await NodeId.digest("republished");
  await writer!.set(key, "v");
  const storedAt = () => holder!.records.records().find((r) => r.key.equals(key))?.storedAtMs;
  assert.equal(storedAt(), 1_000_000);

  clock += 9_000;
  await writer!.maintain();
  assert.equal(storedAt(), 1_000_000, "not due yet");
  clock += 2_000;
  await writer!.maintain();
  assert.equal(storedAt(), 1_011_000, "republished to the holder");

  clock += 99_999;
  await holder!.maintain();
  assert.equal(holder!.records.get(key), "v");
  clock += 1;
  await holder!.maintain();
  assert.equal(holder!.records.size, 0, "expired a TTL after the last store");
});

Deno.test("KademliaNode runs its upkeep on its own timer: a value past its TTL is dropped without a call", async () => {
  let clock = 1_000_000; // not 0: the routing table's "never heard from"
  await using host = new NodeHost({ now: () => clock, valueTtlS: 10, maintenanceIntervalMs: 20 });
  const [writer, holder] = await network(host, 2);
  await writer!.set("short-lived", "v");
  assert.equal(holder!.records.size, 1);
  clock += 10_000;
  await waitFor(() => holder!.records.size === 0, { timeoutMs: 3000, what: "the holder's upkeep expired the value" });
});

Deno.test("KademliaNode.get() on a writer far from the key sees the value another writer put later", async () => {
  await using host = new NodeHost({ k: 3 });
  const nodes = await network(host, 12);
  const key = await NodeId.digest("replaced");
  const [firstWriter, secondWriter] = [...nodes].sort(byDistanceTo(key)).reverse();
  await firstWriter!.set(key, "first");
  await secondWriter!.set(key, "second");
  assert.equal(await firstWriter!.get(key), "second");
});

Deno.test("KademliaNode.get() rejects with the abort reason and does not blame the contact it waited for", async () => {
  await using net = new VirtualNet();
  const node = net.start();
  const silent = net.deadContact();
  node.table.add(silent);
  const controller = new AbortController();
  const pending = node.get(await NodeId.digest("anything"), { signal: controller.signal });
  pending.catch(() => {}); // settled below, after the abort
  await net.advance(50);
  assert.equal(node.transport.pendingCount, 1, "the lookup is waiting for the silent contact");
  controller.abort(new Error("user gave up"));
  await assert.rejects(pending, /user gave up/);
  assert.equal(node.transport.pendingCount, 0);
  assert.ok(node.table.get(silent.id), "an aborted request does not remove the contact");
});

Deno.test("KademliaNode.locate() reaches a node by id with fewer queries than a full lookup", async () => {
  await using host = new NodeHost({ k: 8 });
  const nodes = await network(host, 40);
  const [from, wanted] = [nodes[0]!, nodes[39]!];
  const sent = () => from.transport.stats.requestsOut;
  const before = sent();
  const contact = await from.locate(wanted.id);
  const locateCost = sent() - before;
  assert.deepEqual(contact && { id: contact.id.hex, port: contact.port }, {
    id: wanted.id.hex,
    port: wanted.address.port,
  });
  const between = sent();
  await from.findNode(wanted.id);
  assert.ok(locateCost < sent() - between, `locate sent ${locateCost}, findNode ${sent() - between}`);
  assert.equal(await from.locate(NodeId.random()), undefined);
});

Deno.test("KademliaNode.refreshBucket() asks `width` contacts of the range, fills free slots and counts as refresh", async () => {
  await using host = new NodeHost();
  const nodes = await network(host, 8);
  const late = host.start();
  await late.bootstrap([nodes[0]!.address], { join: false });
  assert.equal(late.table.size, 1);
  const added = await late.refreshBucket(nodes[0]!.id);
  assert.equal(late.table.size, 8, "the first node named every other node");
  assert.equal(added, 7);
  assert.deepEqual(late.transport.stats.requestsByPurpose, { refresh: 1 });
  assert.equal(late.table.staleRanges(1000).length, 0);
  await late.refreshBucket(nodes[0]!.id, { width: 3, purpose: "test" });
  assert.deepEqual(late.transport.stats.requestsByPurpose, { refresh: 1, test: 3 });
});

Deno.test("KademliaNode.events reports lookups and the contacts a failed RPC removed", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200, lookupStallMs: 100 });
  const nodes = await network(host, 5);
  const node = nodes[4]!;
  const silent = { id: NodeId.random(), host: "127.0.0.1", port: deadPort() };
  node.table.add(silent);
  const lookups: string[] = [];
  const failures: string[] = [];
  node.events.lookup.on((e) => lookups.push(`${e.purpose} ${e.findValue} ${e.queried} ${e.closest.length} ${e.k}`));
  node.events.rpcFailure.on((e) => failures.push(`${e.method} ${e.contact.port}`));
  await node.findNode(NodeId.random(), { purpose: "test" });
  assert.deepEqual(lookups, ["test false 5 4 20"]);
  await waitFor(() => failures.length > 0, { timeoutMs: 3000, what: "the silent contact timed out" });
  assert.deepEqual(failures, [`find_node ${silent.port}`]);
  assert.equal(node.table.get(silent.id), undefined);
});

Deno.test("KademliaNode.request() welcomes a contact that answers and keeps one that does not", async () => {
  await using host = new NodeHost();
  const [a, b] = [host.start(), host.start()];
  const silent = { id: NodeId.random(), host: "127.0.0.1", port: deadPort() };
  a.table.add(silent);
  assert.deepEqual(await a.request(b.contact, "ping", [a.id.bytes], { purpose: "health" }), b.id.bytes);
  assert.ok(a.table.get(b.id));
  await assert.rejects(a.request(silent, "ping", [a.id.bytes], { timeoutMs: 50 }), RpcTimeoutError);
  assert.ok(a.table.get(silent.id), "the caller decides what silence means");
  assert.deepEqual(a.transport.stats.requestsByPurpose, { health: 1 });
});

Deno.test("KademliaNode lookups skip the contacts the routing table refuses as hearsay", async () => {
  await using host = new NodeHost();
  const refusedIds = new Set<string>();
  const liveness = {
    admitHearsay: (c: Contact) => !refusedIds.has(c.id.hex),
    keepSilent: () => false,
    checkedContact: (c: Contact) => c,
  };
  const nodes = await network(host, 6, (i) => i === 5 ? { liveness } : {});
  const node = nodes[5]!;
  const refused = nodes[3]!;
  refusedIds.add(refused.id.hex);
  node.table.remove(refused.id);
  const pingsBefore = refused.transport.stats.requestsIn;
  const found = await node.findNode(refused.id);
  assert.ok(!found.some((c) => c.id.equals(refused.id)), "never queried, so never among the answered");
  // Named but refused, it is pinged instead (once per recheck window): alive, its answer brings it back.
  await waitFor(() => node.table.get(refused.id) !== undefined, {
    timeoutMs: 5000,
    what: "the refused contact is back",
  });
  assert.ok(refused.transport.stats.requestsIn > pingsBefore, "the refused contact was asked directly");
});

Deno.test("KademliaNode with a blocked id in its table's deny list neither answers it nor learns of it", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 200, lookupStallMs: 100 });
  const nodes = await network(host, 6);
  const [guard, outcast] = [nodes[1]!, nodes[4]!];
  assert.equal(guard.table.block(outcast.id), true);
  await assert.rejects(outcast.ping(guard.address), RpcTimeoutError);
  assert.equal(guard.transport.stats.dropped.blocked, 1);
  // The others still name the outcast: the guard's lookups neither query it nor let it in.
  const found = await guard.findNode(outcast.id);
  assert.ok(found.length > 0 && !found.some((c) => c.id.equals(outcast.id)));
  assert.equal(guard.table.get(outcast.id), undefined);
  await guard.bootstrap([outcast.address]).catch(() => {});
  assert.equal(guard.table.get(outcast.id), undefined, "even an answer to our own ping does not let it in");
});

Deno.test("KademliaNode.findNode() with stallMs goes on without a silent contact and leaves its RPC pending", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 60_000, lookupStallMs: 60_000 });
  const nodes = await network(host, 4);
  const node = nodes[3]!;
  node.table.add({ id: NodeId.random(), host: "127.0.0.1", port: deadPort() });
  const closest = await node.findNode(NodeId.random(), { stallMs: 50 });
  assert.equal(closest.length, 3, "the three live nodes");
  assert.equal(node.transport.pendingCount, 1, "returned without waiting a minute for the silent contact");
});
