import pMap from "p-map";
/**
 * A worker thread of `bench/dht.ts`: hosts a share of the benchmark's nodes in its own event loop (one per core)
 * and runs the operations the main thread asks for.
 */
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import type { Peer } from "../core/net/mod.ts";
import { parseKeyringEnv } from "../core/security/mod.ts";
import { serveOperations } from "./_worker_serve.ts";

/** A node as the main thread knows it. */
export interface NodeRef {
  id: string;
  host: string;
  port: number;
}

let host = new NodeHost();
const ref = (node: { id: NodeId; address: Peer }): NodeRef => ({ id: node.id.hex, ...node.address });

const operations: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  /** Makes the nodes started from now on secure, with the cluster keys given in CQKD_CLUSTER_KEY form. */
  // deno-lint-ignore require-await
  async secure({ keys }) {
    host = new NodeHost({ secure: { keyring: parseKeyringEnv(keys as string) } });
  },
  /** Starts `count` nodes (the first `seeds` of them without bootstrapping) and joins the rest through `through`. */
  async join({ count, parallel, through }) {
    const seeds = through as Peer[];
    const started: NodeRef[] = [];
    await pMap(Array.from({ length: count as number }), async () => {
      const node = host.start();
      if (seeds.length > 0) await node.bootstrap(seeds);
      started.push(ref(node));
    }, { concurrency: parallel as number });
    return started;
  },
  async set({ node, key, value }) {
    return (await nodeById(node as string).set(key as string, value)).replicas;
  },
  async get({ node, key }) {
    const t0 = performance.now();
    const value = await nodeById(node as string).get(key as string);
    return { value, ms: performance.now() - t0 };
  },
  async findNode({ node, target }) {
    return (await nodeById(node as string).findNode(NodeId.fromHex(target as string))).map((c) => c.id.hex);
  },
  async stop() {
    const stats = host.stats();
    await host.stopAll();
    return stats;
  },
};

function nodeById(hex: string) {
  const node = host.nodes().find((n) => n.id.hex === hex);
  if (node === undefined) throw new Error(`No node ${hex} in this worker`);
  return node;
}

serveOperations(operations);
