import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import type { KademliaNode } from "../kademlia/mod.ts";
import { CAPABILITIES_RPC } from "../discovery/mod.ts";
import { attachNodeServices, livenessFor, type NodeServicesOptions } from "./node_services.ts";
import { waitFor } from "../../tests/_wait_for.ts";

/** Timers shortened so that a test sees a fast check round within a fraction of a second. */
const QUICK: NodeServicesOptions = {
  health: { fast: { intervalS: 0.3, timeoutMs: 200 }, levels: ["fast"], slices: 3 },
  refresh: { activeMinIntervalS: 1 },
};

/** Nodes joined through the first, each judging contacts by the liveness policy of QUICK's health checks. */
async function network(host: NodeHost, count: number): Promise<KademliaNode[]> {
  const nodes = [host.start({ role: "super-bootstrap", ...livenessFor(QUICK) })];
  for (let i = 1; i < count; i++) {
    const node = host.start({ role: "worker", ...livenessFor(QUICK) });
    await node.bootstrap([nodes[0]!.address]);
    nodes.push(node);
  }
  return nodes;
}

Deno.test("attachNodeServices(): a dead contact is removed by the fast check and its bucket refreshed at once", async () => {
  await using host = new NodeHost();
  const nodes = await network(host, 12);
  const node = nodes[1]!;
  const dead = nodes[2]!;
  await using services = attachNodeServices(node, QUICK);
  let refreshesWhenRemoved = -1;
  node.table.changes.on((change) => {
    if (change.kind === "removed" && change.contact.id.equals(dead.id)) {
      refreshesWhenRemoved = services.refresh!.refreshes.event;
    }
  });
  await host.stop(dead);
  await waitFor(() => refreshesWhenRemoved >= 0, { timeoutMs: 2000, what: "the dead contact left the table" });
  assert.equal(refreshesWhenRemoved, 1, "the refresh of its bucket started as it left the table");
  assert.equal(node.table.get(dead.id), undefined);
  assert.equal(services.health!.registry.status(dead.id), "unhealthy");
  // (Not "no request pending": the dead contact, named by the others, is pinged again where it was checked.)
  const refreshed = () => {
    const { refresh } = services.summary();
    return "refreshRpcs" in refresh && refresh.refreshRpcs >= 1;
  };
  await waitFor(refreshed, { timeoutMs: 2000, what: "the refresh sent its RPCs" });
  const summary = services.summary();
  assert.equal(summary.health.counts.unhealthy, 1);
});

Deno.test("attachNodeServices() summary() is plain JSON with the parameters, health, refresh and discovery", async () => {
  await using host = new NodeHost();
  const nodes = await network(host, 6);
  const all = nodes.map((node) => attachNodeServices(node));
  const services = all[5]!;
  try {
    assert.equal((await services.discovery.discover(4)).length, 4, "the other workers; not the bootstrap node");
  } finally {
    await Promise.all(all.map((s) => s.stop()));
  }
  const summary = services.summary();
  assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary);
  assert.equal(summary.networkSize, 6);
  assert.equal(summary.tier, "small");
  assert.deepEqual(summary.parameters, { alpha: 3, k: 20, timeoutMs: 5000, refreshIntervalS: 600, adaptive: true });
  assert.deepEqual(Object.keys(summary.health.counts), ["healthy", "degraded", "unhealthy", "unchecked"]);
  assert.deepEqual(summary.discovery, { entries: 5, hits: 0, misses: 1, hitRate: 0 }, "the seed is cached too");
  assert.ok("strategy" in summary.refresh);
});

Deno.test("attachNodeServices() honours the switches off, and stop() withdraws the capabilities RPC", async () => {
  await using host = new NodeHost({ k: 9, refreshIntervalS: 1234 });
  const node = host.start({ role: "worker" });
  const services = attachNodeServices(node, {
    adaptive: { enabled: false },
    health: { enabled: false },
    refresh: { enabled: false },
  });
  assert.equal(services.health, undefined);
  assert.equal(services.refresh, undefined);
  assert.equal(services.adaptive.analyze().adaptive, false);
  const summary = services.summary();
  assert.deepEqual(summary.parameters, { alpha: 3, k: 9, timeoutMs: 5000, refreshIntervalS: 1234, adaptive: false });
  assert.deepEqual(summary.refresh, { enabled: false });
  assert.ok(node.rpc.get(CAPABILITIES_RPC));
  await services.stop();
  await services.stop();
  assert.equal(node.rpc.get(CAPABILITIES_RPC), undefined);
});
