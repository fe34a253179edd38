import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { NodeId } from "../kademlia/mod.ts";
import { RpcTimeoutError } from "../net/mod.ts";
import { DIAGNOSE_RPC, type NodeDiagnostics, nodeDiagnostics } from "./diagnostics.ts";
import { attachNodeServices } from "./node_services.ts";

Deno.test("cqkd_diagnose answers a node's diagnosis over UDP while its services run, and nothing after", async () => {
  await using host = new NodeHost();
  const seed = host.start();
  for (let i = 0; i < 30; i++) await host.start().bootstrap([seed.address]);
  const node = host.nodes()[5]!;
  const services = attachNodeServices(node);
  const asker = host.start();
  // The node has heard the asker answer: its diagnosis (larger than the request) goes to a proven address.
  await node.ping(asker.address);
  try {
    for (let i = 0; i < 3; i++) await node.findNode(NodeId.random());
    // Requesters become contacts once they answer a probe: let the last ones in before the table is compared.
    await host.settled();
    const answer = await asker.transport.request(node.address, DIAGNOSE_RPC, [], {
      timeoutMs: 2000,
    }) as NodeDiagnostics;
    assert.equal(answer.id, node.id.hex);
    assert.equal(answer.table.contacts, node.table.size);
    assert.equal(answer.table.buckets.reduce((n, b) => n + b.contacts, 0), node.table.size, "bucket fills sum up");
    assert.equal(answer.table.buckets.length, node.table.buckets().length);
    assert.ok(answer.table.buckets.every((b) => b.prefix.length === Math.ceil(b.depth / 4)));
    const distances = answer.table.closest.map((c) => NodeId.fromHex(c.id).distanceTo(node.id));
    assert.deepEqual(distances, [...distances].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "closest first");
    assert.equal(answer.table.closest.length, 8);
    assert.ok(answer.transport.latency.samples > 0 && answer.transport.latency.p99Ms >= answer.transport.latency.p50Ms);
    assert.equal(answer.parameters.k, 20);
    assert.equal(answer.health.enabled, true);
    assert.deepEqual(Object.keys(answer.health.levels!), ["fast", "medium", "deep"]);
    assert.ok(answer.networkSize! > 1);
  } finally {
    await services.stop();
  }
  await assert.rejects(asker.transport.request(node.address, DIAGNOSE_RPC, [], { timeoutMs: 200 }), RpcTimeoutError);
});

Deno.test("nodeDiagnostics() lists contacts silent for the refresh interval, or only heard of, as stale", async () => {
  let clock = 1_000_000;
  await using host = new NodeHost({ now: () => clock, refreshIntervalS: 60 });
  const node = host.start();
  const heard = host.start();
  await node.ping(heard.address);
  node.table.add({ id: NodeId.random(), host: "127.0.0.1", port: 9 }, { hearsay: true });
  const fresh = nodeDiagnostics(node, undefined, { now: () => clock });
  assert.equal(fresh.table.stale, 1, "the contact only heard of");
  assert.equal(fresh.table.staleContacts[0]!.silentS, null);
  assert.equal(fresh.health.enabled, false);
  clock += 61_000;
  const later = nodeDiagnostics(node, undefined, { now: () => clock });
  assert.equal(later.table.stale, 2);
  assert.deepEqual(later.table.staleContacts.map((c) => c.silentS), [null, 61]);
});
