import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { type KademliaNode, NodeId } from "../kademlia/mod.ts";
import { advertiseCapabilities, CAPABILITIES_RPC, queryCapabilities } from "./capabilities.ts";
import { NotEnoughNodesError } from "./discovered_node.ts";
import { Discovery } from "./discovery.ts";
import { HealthRegistry } from "../health/mod.ts";

/** A seed, `workers` advertising workers and an "alice" that discovers them, all joined through the seed. */
async function workerNetwork(host: NodeHost, workers: number) {
  const seed = host.start({ role: "super-bootstrap" });
  advertiseCapabilities(seed);
  const nodes: KademliaNode[] = [];
  for (let i = 0; i < workers; i++) {
    const node = host.start({ role: "worker" });
    advertiseCapabilities(node, i % 2 === 0 ? ["qsg", "bg", "qpp", "qpm", "qpc"] : ["qpm"]);
    await node.bootstrap([seed.address]);
    nodes.push(node);
  }
  const alice = host.start({ role: "alice" });
  advertiseCapabilities(alice);
  await alice.bootstrap([seed.address]);
  await host.settled();
  return { seed, workers: nodes, alice };
}

const hexes = (nodes: readonly { id: { hex: string } }[]) => nodes.map((n) => n.id.hex).sort();

Deno.test("Discovery.discover() returns only live workers, hits its cache on a second call and misses after TTL", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ rpcTimeoutMs: 300, now: () => clock });
  const { workers, alice } = await workerNetwork(host, 12);
  const dead = workers.pop()!;
  await host.stop(dead);
  const discovery = new Discovery(alice, { cache: { ttlS: 60 }, verifyTimeoutMs: 300, now: () => clock });

  const first = await discovery.discover(11);
  assert.deepEqual(hexes(first), hexes(workers), "every live worker, no seed, no alice, not the dead one");
  assert.ok(first.every((n) => n.role === "worker"));
  assert.deepEqual(discovery.cache.stats, { entries: 12, hits: 0, misses: 1, hitRate: 0 });

  const before = alice.transport.stats.requestsOut;
  clock += 10_000;
  const second = await discovery.discover(11);
  assert.deepEqual(hexes(second), hexes(workers));
  assert.equal(discovery.cache.stats.hits, 1);
  assert.equal(alice.transport.stats.requestsOut, before, "all heard from recently: a hit costs no RPC");

  clock += 60_000;
  await discovery.discover(11);
  assert.deepEqual(discovery.cache.stats, { entries: 12, hits: 1, misses: 2, hitRate: 1 / 3 });
});

Deno.test("Discovery.discover() verifies cached workers not heard from lately and drops the dead ones", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ rpcTimeoutMs: 300, now: () => clock });
  const { workers, alice } = await workerNetwork(host, 6);
  const discovery = new Discovery(alice, { freshMs: 1000, verifyTimeoutMs: 200, now: () => clock });
  assert.equal((await discovery.discover(6)).length, 6);
  await host.stop(workers[0]!);
  clock += 5_000;
  await assert.rejects(discovery.discover(6), NotEnoughNodesError);
  assert.deepEqual(hexes(await discovery.discover(5)), hexes(workers.slice(1)));
  assert.ok((alice.transport.stats.requestsByPurpose.discovery ?? 0) > 0);
});

Deno.test("Discovery.discover() returns once it has enough, cutting short queries still waiting on dead nodes", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 300 });
  const { workers, alice } = await workerNetwork(host, 8);
  for (const worker of workers.slice(0, 3)) await host.stop(worker);
  // Queries to the dead workers would time out after 5 s; with enough found they must be aborted before.
  const discovery = new Discovery(alice, { verifyTimeoutMs: 5_000 });
  const started = performance.now();
  const found = await discovery.discover(4);
  assert.equal(found.length, 4);
  assert.ok(found.every((n) => workers.slice(3).some((w) => w.id.equals(n.id))), "live workers only");
  // The lookup's own 300 ms queries to dead workers may time out on a loaded machine; the 5 s checks must not be awaited.
  assert.ok(performance.now() - started < 5_000, "no check of a dead worker was waited for");
  assert.equal(alice.transport.pendingCount, 0, "nor left behind");
});

Deno.test("Discovery.discover() returns a worker its registry holds unhealthy once it answers a query now", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 300 });
  const { workers, alice } = await workerNetwork(host, 4);
  const health = new HealthRegistry();
  const missed = { level: "fast", ok: false, atMs: Date.now(), durationMs: 1, failure: "ping got no answer" } as const;
  health.record(workers[0]!.contact, missed);
  assert.equal(health.status(workers[0]!.id), "unhealthy");
  const found = await new Discovery(alice, { health }).discover(4);
  assert.deepEqual(hexes(found), hexes(workers), "a busy moment of the past does not hide a live worker");
});

Deno.test("Discovery.discover() filters on capabilities and says how many it found when too few", async () => {
  await using host = new NodeHost({ rpcTimeoutMs: 300 });
  const { workers, alice } = await workerNetwork(host, 8);
  const discovery = new Discovery(alice);
  const full = await discovery.discover(4, { capabilities: ["qsg", "qpc"] });
  assert.deepEqual(hexes(full), hexes(workers.filter((_, i) => i % 2 === 0)));
  await assert.rejects(discovery.discover(9), (error) => {
    assert.ok(error instanceof NotEnoughNodesError);
    assert.equal(error.message, "Cannot discover 9 workers: found only 8 live");
    assert.deepEqual([error.required, error.found], [9, 8]);
    return true;
  });
  await assert.rejects(discovery.discover(5, { capabilities: ["qpc"] }), {
    message: "Cannot discover 5 workers with qpc: found only 4 live",
  });
  await assert.rejects(discovery.discover(0), RangeError);
});

Deno.test("Discovery finds workers through lookups beyond its routing table", async () => {
  await using host = new NodeHost({ k: 4 });
  const { workers, seed } = await workerNetwork(host, 40);
  const alice = host.start({ role: "alice", k: 4 });
  await alice.bootstrap([seed.address], { join: false });
  assert.equal(alice.table.size, 1, "alice knows the seed only");
  const found = await new Discovery(alice).discover(40);
  assert.deepEqual(hexes(found), hexes(workers));
  assert.ok((alice.transport.stats.requestsByPurpose.discovery ?? 0) > 40, "lookups and capability queries");
});

Deno.test("queryCapabilities() treats a node without the RPC (a legacy node) as no answer, and keeps it", async () => {
  await using host = new NodeHost();
  const [asker, legacy] = [host.start(), host.start()];
  await legacy.bootstrap([asker.address]);
  assert.equal(legacy.rpc.get(CAPABILITIES_RPC), undefined);
  assert.equal(await queryCapabilities(asker, legacy.contact, { timeoutMs: 100 }), undefined);
  assert.ok(asker.table.get(legacy.id), "silence to a cqkd RPC never removes a contact");
  const withdraw = advertiseCapabilities(legacy);
  assert.deepEqual(await queryCapabilities(asker, legacy.contact, { timeoutMs: 1000 }), {
    role: "worker",
    capabilities: ["qsg", "bg", "qpp", "qpm", "qpc"],
  });
  const impostor = { ...legacy.contact, id: NodeId.random() };
  assert.equal(await queryCapabilities(asker, impostor, { timeoutMs: 1000 }), undefined, "another node's answer");
  withdraw();
  assert.equal(legacy.rpc.get(CAPABILITIES_RPC), undefined);
});
