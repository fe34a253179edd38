/** Test helper: a network in one process on 127.0.0.1 with workers, Alice and Bob, all on real UDP sockets. */
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { advertiseCapabilities } from "../../core/discovery/mod.ts";
import { NodeHost } from "../../core/host.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { FaultInjectionOptions } from "../../core/net/mod.ts";
import { attachNodeServices, type NodeServices } from "../../core/services/mod.ts";
import { WorkerService } from "../worker/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import { unpackBits } from "../postprocess/mod.ts";
import type { KeyStore } from "../keystore/mod.ts";
import { Alice, type AliceOptions, type AliceResult } from "./alice.ts";
import { Bob, type BobOptions } from "./bob.ts";
import { PeerTrust } from "./peer_trust.ts";

/** The parties of a test network. */
export interface TestNetwork extends AsyncDisposable {
  host: NodeHost;
  /** The node every other joined through. */
  seed: Peer;
  alice: Alice;
  aliceNode: KademliaNode;
  bob: Bob;
  bobNode: KademliaNode;
  /** Takes a session's key out of both key stores (bits, one per byte; undefined where it is not held). */
  takeKeys(result: AliceResult): { alice?: Uint8Array; bob?: Uint8Array };
  workers: Array<{ node: KademliaNode; service: WorkerService }>;
  /** Stops one worker's node (a worker dying mid-session). */
  kill(index: number): Promise<void>;
}

/**
 * Starts `workers` workers, Alice and Bob (each pinning the other's identity), joined through the first worker;
 * `faults` applies to every node.
 */
export async function startTestNetwork(
  workerCount: number,
  options: Partial<AliceOptions> = {},
  faults?: FaultInjectionOptions,
  bobOptions: Partial<BobOptions> = {},
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
  const [aliceIdentity, bobIdentity] = [SigningIdentity.generate(), SigningIdentity.generate()];
  const alice = await Alice.attach(aliceNode, {
    discover: (count, o) => services.discovery.discover(count, o),
    batchTimeoutMs: 1500,
    identity: aliceIdentity,
    trust: new PeerTrust({ trustedPeers: [bobIdentity.publicKey] }),
    keepSifted: true,
    ...options,
  });
  const bob = await Bob.attach(bobNode, {
    identity: bobIdentity,
    trust: new PeerTrust({ trustedPeers: [aliceIdentity.publicKey] }),
    keepSifted: true,
    ...bobOptions,
  });
  const stopped = new Set<number>();
  const take = (store: KeyStore, id: string | undefined) => {
    const key = id === undefined ? undefined : store.take(id);
    return key && unpackBits(key.bytes, key.bitLength);
  };
  return {
    host,
    seed,
    alice,
    aliceNode,
    bob,
    bobNode,
    takeKeys(result) {
      const aliceKey = take(alice.keyStore, result.keyId);
      const bobKey = take(bob.keyStore, result.keyId ?? bob.session(result.session)?.keyId);
      return { ...(aliceKey ? { alice: aliceKey } : {}), ...(bobKey ? { bob: bobKey } : {}) };
    },
    workers,
    async kill(index) {
      stopped.add(index);
      await workers[index]!.service.stop();
      await host.stop(workers[index]!.node);
    },
    async [Symbol.asyncDispose]() {
      await alice.stop();
      await bob.stop();
      await services.stop();
      withdraw.forEach((w) => w());
      await Promise.all(workers.map((w, i) => stopped.has(i) ? undefined : w.service.stop()));
      await host.stopAll();
    },
  };
}
