import assert from "node:assert/strict";
import { NodeId } from "../kademlia/mod.ts";
import type { DiscoveredNode } from "./discovered_node.ts";
import { DiscoveryCache } from "./discovery_cache.ts";

const worker = (n: number, capabilities = ["qsg"]): DiscoveredNode => ({
  id: NodeId.fromValue(BigInt(n)),
  host: "127.0.0.1",
  port: 4000 + n,
  role: "worker",
  capabilities,
});
const ports = (nodes: DiscoveredNode[]) => nodes.map((n) => n.port);

Deno.test("DiscoveryCache.select() returns entries within their TTL and drops expired ones", () => {
  let clock = 0;
  const cache = new DiscoveryCache({ ttlS: 10, now: () => clock });
  cache.put(worker(1));
  clock = 5_000;
  cache.put(worker(2, ["qpm"]));
  assert.deepEqual(ports(cache.select((n) => n.capabilities.includes("qsg"))), [4001]);
  clock = 10_000;
  assert.deepEqual(ports(cache.select(() => true)), [4002]);
  assert.equal(cache.stats.entries, 1);
});

Deno.test("DiscoveryCache evicts the least recently used entry beyond maxEntries", () => {
  const cache = new DiscoveryCache({ maxEntries: 2 });
  cache.put(worker(1));
  cache.put(worker(2));
  cache.select((n) => n.port === 4001);
  cache.put(worker(3));
  assert.deepEqual(ports(cache.select(() => true)).sort(), [4001, 4003]);
  cache.delete(NodeId.fromValue(1n));
  assert.deepEqual(ports(cache.select(() => true)), [4003]);
});

Deno.test("DiscoveryCache.stats counts hits and misses into a hit rate", () => {
  const cache = new DiscoveryCache();
  assert.deepEqual(cache.stats, { entries: 0, hits: 0, misses: 0, hitRate: 0 });
  cache.count(false);
  cache.count(true);
  cache.count(true);
  cache.count(true);
  assert.deepEqual(cache.stats, { entries: 0, hits: 3, misses: 1, hitRate: 0.75 });
});
