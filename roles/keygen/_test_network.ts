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
import { METHOD, type RoleCommand } from "./messages.ts";
import { PeerTrust } from "./peer_trust.ts";
import type { RejectReason } from "./rejections.ts";
import { SealedMessenger } from "./sealed_messenger.ts";

/** Options of {@linkcode startTestNetwork} beyond Alice's. */
export interface TestNetworkOptions {
  faults?: FaultInjectionOptions;
  bob?: Partial<BobOptions>;
  /** Sees every assignment a worker accepts (a curious worker's view), with the worker. */
  tap?: (command: RoleCommand, worker: WorkerService) => void;
}

/** The parties of a test network. */
export interface TestNetwork extends AsyncDisposable {
  host: NodeHost;
  /** The node every other joined through. */
  seed: Peer;
  alice: Alice;
  aliceNode: KademliaNode;
  bob: Bob;
  bobNode: KademliaNode;
  /** Messages each party dropped, by reason. */
  rejected: { alice: RejectReason[]; bob: RejectReason[]; workers: RejectReason[] };
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
  network: TestNetworkOptions = {},
): Promise<TestNetwork> {
  const { faults, bob: bobOptions = {}, tap } = network;
  const rejected: TestNetwork["rejected"] = { alice: [], bob: [], workers: [] };
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
  // Requesters become contacts once their address answered a probe, a round trip after the join.
  await host.settled();
  const withdraw = nodes.map((node) => advertiseCapabilities(node));
  const workers = await Promise.all(nodes.map(async (node) => {
    const messenger = await SealedMessenger.attach(node, { onReject: (reason) => rejected.workers.push(reason) });
    if (tap !== undefined) {
      const handle = messenger.handle.bind(messenger);
      messenger.handle = (method, handler) =>
        handle(
          method,
          method !== METHOD.command ? handler : (body, from) => {
            const accepted = handler(body, from);
            for (const command of (body as { commands: RoleCommand[] }).commands) tap(command, service);
            return accepted;
          },
        );
    }
    const service: WorkerService = WorkerService.on(messenger);
    return { node, service };
  }));
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
    onReject: (reason) => rejected.alice.push(reason),
    ...options,
  });
  const bob = await Bob.attach(bobNode, {
    identity: bobIdentity,
    trust: new PeerTrust({ trustedPeers: [aliceIdentity.publicKey] }),
    keepSifted: true,
    onReject: (reason) => rejected.bob.push(reason),
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
    rejected,
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
