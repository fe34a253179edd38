import pMap from "p-map";
/**
 * A worker thread of `bench/churn.ts`: hosts a share of the nodes, each with its services attached, in its own
 * event loop, and runs the operations the main thread asks for (joins, set/get, lookups, kills, routing-table
 * samples, discovery, traffic counters).
 */
import { NodeHost } from "../core/host.ts";
import { type KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import type { Peer } from "../core/net/mod.ts";
import { attachNodeServices, livenessFor, type NodeServices, type NodeServicesOptions } from "../core/services/mod.ts";
import type { NodeRef } from "./_dht_worker.ts";
import { serveOperations } from "./_worker_serve.ts";

/** Requests sent by the nodes of this thread, stopped ones included. */
export interface Traffic {
  requestsOut: number;
  timeouts: number;
  byPurpose: Record<string, number>;
}

const host = new NodeHost();
const services = new Map<string, NodeServices>();
const stoppedTraffic: Traffic = { requestsOut: 0, timeouts: 0, byPurpose: {} };
let dead = new Set<string>();
/** The longest delay of a 100 ms timer since the last `tables` call: how long this thread's event loop stalled. */
let maxLagMs = 0;
let lastTick = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  maxLagMs = Math.max(maxLagMs, now - lastTick - 100);
  lastTick = now;
}, 100);

function node(hex: string): KademliaNode {
  const found = host.nodes().find((n) => n.id.hex === hex);
  if (found === undefined) throw new Error(`No node ${hex} in this thread`);
  return found;
}

function addTraffic(total: Traffic, n: KademliaNode): void {
  const s = n.transport.stats;
  total.requestsOut += s.requestsOut;
  total.timeouts += s.timeouts;
  for (const [purpose, count] of Object.entries(s.requestsByPurpose)) {
    total.byPurpose[purpose] = (total.byPurpose[purpose] ?? 0) + count;
  }
}

serveOperations({
  /** Starts `count` nodes of `role` with their services and joins them through `through` (if any). */
  async join({ count, parallel, through, role, options, hostname }) {
    const started: NodeRef[] = [];
    await pMap(Array.from({ length: count as number }), async () => {
      const n = host.start({
        role: role as string,
        host: hostname as string,
        ...livenessFor(options as NodeServicesOptions),
      });
      services.set(n.id.hex, attachNodeServices(n, options as NodeServicesOptions));
      if ((through as Peer[]).length > 0) await n.bootstrap(through as Peer[]);
      started.push({ id: n.id.hex, ...n.address });
    }, { concurrency: parallel as number });
    return started;
  },
  async set({ node: id, key, value }) {
    return (await node(id as string).set(key as string, value)).replicas;
  },
  async get({ node: id, key }) {
    const t0 = performance.now();
    const value = await node(id as string).get(key as string);
    return { value, ms: performance.now() - t0 };
  },
  async findNode({ node: id, target }) {
    const t0 = performance.now();
    const found = await node(id as string).findNode(NodeId.fromHex(target as string));
    return { ids: found.map((c) => c.id.hex), ms: performance.now() - t0 };
  },
  /** Stops the given nodes (those of this thread) at once; their traffic stays counted. */
  async kill({ ids }) {
    const mine = (ids as string[]).filter((hex) => services.has(hex));
    await Promise.all(mine.map(async (hex) => {
      const n = node(hex);
      await services.get(hex)!.stop();
      services.delete(hex);
      addTraffic(stoppedTraffic, n);
      await host.stop(n);
    }));
    return mine.length;
  },
  markDead({ ids }) {
    dead = new Set(ids as string[]);
    return dead.size;
  },
  /** How many live nodes name a dead node among their k closest contacts to one of `targets` random ids. */
  dirtyNodes({ targets }) {
    let dirty = 0;
    for (const n of host.nodes()) {
      for (let i = 0; i < (targets as number); i++) {
        if (n.table.closest(NodeId.random(), n.table.k).some((c) => dead.has(c.id.hex))) {
          dirty++;
          break;
        }
      }
    }
    return dirty;
  },
  /**
   * Routing-table sizes, live nodes that health registries hold as unhealthy (wrongly: they are alive), and the
   * longest event-loop stall of this thread since the last call.
   */
  /** Every node's id and the ids in its routing table, for the "knows" graph of the whole network. */
  views() {
    return [...services.keys()].map((hex) => ({
      name: hex,
      id: hex,
      contacts: node(hex).table.contacts().map((c) => c.id.hex),
    }));
  },
  tables() {
    let contacts = 0;
    let wronglyUnhealthy = 0;
    let pending = 0;
    let fewestContacts = Infinity;
    for (const [hex, s] of services) {
      const { table, transport } = node(hex);
      contacts += table.size;
      fewestContacts = Math.min(fewestContacts, table.size);
      pending += transport.pendingCount;
      for (const entry of s.health?.registry.entries() ?? []) {
        if (entry.status === "unhealthy" && !dead.has(entry.contact.id.hex)) wronglyUnhealthy++;
      }
    }
    const lagMs = Math.round(maxLagMs);
    maxLagMs = 0;
    const heapMb = Math.round(Deno.memoryUsage().heapUsed / 2 ** 20);
    return { nodes: services.size, contacts, fewestContacts, wronglyUnhealthy, lagMs, pending, heapMb };
  },
  async discover({ node: id, count }) {
    const t0 = performance.now();
    const found = await services.get(id as string)!.discovery.discover(count as number);
    return { ms: performance.now() - t0, ids: found.map((n) => n.id.hex) };
  },
  summary({ node: id }) {
    return services.get(id as string)!.summary();
  },
  /** Parameters in force on this thread's nodes: how many use each k. */
  parameters() {
    const byK: Record<string, number> = {};
    for (const n of host.nodes()) byK[n.table.k] = (byK[n.table.k] ?? 0) + 1;
    return byK;
  },
  traffic() {
    const total: Traffic = structuredClone(stoppedTraffic);
    for (const n of host.nodes()) addTraffic(total, n);
    return total;
  },
  async stop() {
    clearInterval(lagTimer);
    await Promise.all([...services.values()].map((s) => s.stop()));
    await host.stopAll();
    return true;
  },
});
