import pMap from "p-map";
import assert from "node:assert/strict";
import { mulberry32 } from "./_prng.ts";
import { NodeHost } from "../core/host.ts";
import type { KademliaNode } from "../core/kademlia/mod.ts";

const NODES = 200;
const PAIRS = 200;
const JOINS_IN_FLIGHT = 50;

Deno.test(`A ${NODES}-node network in one process serves ${PAIRS} put/get pairs between random nodes`, async () => {
  const seed = Number(Deno.env.get("DHT_TEST_SEED") ?? Math.floor(Math.random() * 2 ** 32));
  console.log(`DHT_TEST_SEED=${seed}`);
  const rand = mulberry32(seed);
  const pick = (nodes: KademliaNode[]) => nodes[Math.floor(rand() * nodes.length)]!;

  await using host = new NodeHost();
  const seedA = host.start({ role: "bootstrap" });
  const seedB = host.start({ role: "bootstrap" });
  await seedB.bootstrap([seedA.address]);
  const seeds = [seedA.address, seedB.address];
  await pMap(Array.from({ length: NODES - 2 }), async () => {
    const node = host.start();
    const { contacts } = await node.bootstrap(seeds);
    assert.ok(contacts > 0);
  }, { concurrency: JOINS_IN_FLIGHT });
  const nodes = host.nodes();
  assert.equal(nodes.length, NODES);
  const smallest = Math.min(...nodes.map((n) => n.table.size));
  assert.ok(smallest >= 20, `a node knows only ${smallest} contacts`);

  const failures: string[] = [];
  let remoteReads = 0;
  for (let i = 0; i < PAIRS; i++) {
    const writer = pick(nodes);
    let reader = pick(nodes);
    while (reader === writer) reader = pick(nodes);
    const key = `pair-${seed}-${i}`;
    const value = `value-${i}-${rand()}`;
    const stored = await writer.set(key, value);
    if (stored.replicas < 1) failures.push(`${key}: stored on no replica (asked ${stored.asked})`);
    if (reader.records.get(stored.key) === undefined) remoteReads++;
    const read = await reader.get(key);
    if (read !== value) failures.push(`${key}: read ${JSON.stringify(read)}, wrote ${JSON.stringify(value)}`);
  }
  assert.deepEqual(failures, []);
  // With 200 nodes and k = 20, most readers hold nothing and must look the value up.
  assert.ok(remoteReads > PAIRS / 2, `only ${remoteReads} reads went over the network`);

  const stats = host.stats();
  console.log(
    `${NODES} nodes: ${stats.requestsOut} requests, ${stats.timeouts} timeouts, ${stats.droppedTotal} dropped`,
  );
  const { short, msgpack, shape, "unknown-kind": unknownKind, "unknown-method": unknownMethod } = stats.dropped;
  const protocolErrors = {
    short,
    msgpack,
    shape,
    unknownKind,
    unknownMethod,
    badArguments: stats.dropped["bad-arguments"],
  };
  assert.deepEqual(Object.values(protocolErrors), [0, 0, 0, 0, 0, 0], "cqkd nodes speak the protocol to each other");
  assert.equal(stats.dropped["handler-error"], 0);

  await host.stopAll();
  assert.equal(host.size, 0);
});
