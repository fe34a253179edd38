import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { attachNodeServices } from "../../core/services/mod.ts";
import { joinedNodes } from "../../tests/_network.ts";
import { CommandError } from "../exit_codes.ts";
import { legacyK, reconstructTable } from "./legacy_table.ts";
import { inspectNode } from "./remote_node.ts";

/** `count` nodes joined through the first, and a client node that joins nobody. */
async function network(host: NodeHost, count: number): Promise<{ nodes: KademliaNode[]; client: KademliaNode }> {
  return { nodes: await joinedNodes(host, count), client: host.start({ rpcTimeoutMs: 2000 }) };
}

Deno.test("inspectNode() reads a cqkd node's own diagnosis through cqkd_diagnose", async () => {
  await using host = new NodeHost();
  const { nodes, client } = await network(host, 10);
  // The node has heard the client answer: it is a contact before the diagnosis is taken, not during.
  await nodes[3]!.ping(client.address);
  await using _services = attachNodeServices(nodes[3]!);
  const remote = await inspectNode(client, nodes[3]!.address);
  assert.equal(remote.source, "cqkd_diagnose");
  assert.ok(remote.id.equals(nodes[3]!.id));
  if (remote.source !== "cqkd_diagnose") return;
  assert.equal(remote.diagnostics.table.contacts, nodes[3]!.table.size);
});

Deno.test("inspectNode() falls back to legacy RPCs for a node that does not answer cqkd_diagnose", async () => {
  await using host = new NodeHost();
  const { nodes, client } = await network(host, 60);
  const node = nodes[7]!; // no services: it answers the legacy RPCs only, as a legacy node does
  const remote = await inspectNode(client, node.address);
  assert.equal(remote.source, "legacy RPCs");
  if (remote.source !== "legacy RPCs") return;
  const known = node.table.contacts().map((c) => c.id.hex).filter((hex) => hex !== client.id.hex).sort();
  assert.deepEqual(remote.legacy.contacts.map((c) => c.id.hex).sort(), known, "every contact of every bucket");
  const distances = remote.legacy.contacts.map((c) => c.id.distanceTo(node.id));
  assert.deepEqual(distances, [...distances].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "closest first");
  assert.equal(remote.legacy.queries, 160);
  assert.equal(remote.legacy.answered, 160);
  assert.deepEqual(legacyK(remote.legacy, 20), { k: 20, assumed: false }, "answers were cut at k = 20");
});

Deno.test("reconstructTable() says when answers never reached k, and legacyK() then assumes the settings' k", async () => {
  await using host = new NodeHost();
  const { nodes, client } = await network(host, 5);
  const node = nodes[1]!;
  const table = await reconstructTable(client, { ...node.address, id: node.id }, { timeoutMs: 1000 });
  assert.equal(table.contacts.length, 4, "the other four nodes; not the asking client");
  assert.deepEqual(legacyK(table, 20), { k: 20, assumed: true });
});

Deno.test("inspectNode() refuses a node that does not answer a ping", async () => {
  await using host = new NodeHost();
  const client = host.start({ rpcTimeoutMs: 200 });
  const gone = host.start();
  const address = gone.address;
  await host.stop(gone);
  await assert.rejects(inspectNode(client, address), (error) => {
    assert.ok(error instanceof CommandError);
    assert.match(
      error.message,
      /^Cannot reach 127\.0\.0\.1:\d+: No answer to ping from 127\.0\.0\.1:\d+ within 200 ms$/,
    );
    return true;
  });
});
