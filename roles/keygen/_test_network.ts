/** Test helper: a network in one process on 127.0.0.1 with workers, Alice and Bob, all on real UDP sockets. */
import { advertiseCapabilities } from "../../core/discovery/mod.ts";
import { NodeHost } from "../../core/host.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { FaultInjectionOptions } from "../../core/net/mod.ts";
import { attachNodeServices, type NodeServices } from "../../core/services/mod.ts";
import { WorkerService } from "../worker/mod.ts";
import { Alice, type AliceOptions } from "./alice.ts";
import { Bob } from "./bob.ts";

/** The parties of a test network. */
export interface TestNetwork extends AsyncDisposable {
  alice: Alice;
  bob: Bob;
  bobNode: KademliaNode;
  workers: Array<{ node: KademliaNode; service: WorkerService }>;
  /** Stops one worker's node (a worker dying mid-session). */
  kill(index: number): Promise<void>;
}

/** Starts `workers` workers, Alice and Bob, joined through the first worker; `faults` applies to every node. */
export async function startTestNetwork(
  workerCount: number,
  options: Partial<AliceOptions> = {},
  faults?: FaultInjectionOptions,
): Promise<TestNetwork> {
  const host = new NodeHost({ rpcTimeoutMs: 500, lookupStallMs: 200, ...(faults ? { faults } : {}) });
  const nodes = Array.from({ length: workerCount }, () => host.start({ role: "worker" }));
  const seed = nodes[0]!.address;
  const aliceNode = host.start({ role: "alice" });
  const bobNode = host.start({ role: "bob" });
  // On a lossy network a join's ping may be lost: join again (a few times, as an operator would).
  const join = async (node: KademliaNode) => {
    for (let attempt = 1;; attempt++) {
      try {
        return await node.bootstrap([seed]);
      } catch (error) {
        if (!faults || attempt === 5) throw error;
      }
    }
  };
  await Promise.all([...nodes.slice(1), aliceNode, bobNode].map(join));
  const withdraw = nodes.map((node) => advertiseCapabilities(node));
  const workers = await Promise.all(nodes.map(async (node) => ({ node, service: await WorkerService.attach(node) })));
  const services: NodeServices = attachNodeServices(aliceNode, {
    health: { enabled: false },
    refresh: { enabled: false },
    discovery: { verifyTimeoutMs: 300 },
  });
  const alice = await Alice.attach(aliceNode, {
    discover: (count, o) => services.discovery.discover(count, o),
    batchTimeoutMs: 1500,
    ...options,
  });
  const bob = await Bob.attach(bobNode);
  const stopped = new Set<number>();
  return {
    alice,
    bob,
    bobNode,
    workers,
    async kill(index) {
      stopped.add(index);
      await workers[index]!.service.stop();
      await host.stop(workers[index]!.node);
    },
    async [Symbol.asyncDispose]() {
      alice.stop();
      bob.stop();
      await services.stop();
      withdraw.forEach((w) => w());
      await Promise.all(workers.map((w, i) => stopped.has(i) ? undefined : w.service.stop()));
      await host.stopAll();
    },
  };
}
