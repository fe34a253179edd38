/**
 * The keygen scenario: the real key exchange (Alice, Bob and workers taking the protocol's roles, roles/ code as in
 * production) on the simulated network, after a join of `nodes` workers. Its WebCrypto calls run inside virtual
 * time (see host_work.ts), so the session replays from its seed like the rest of the run.
 */
import { SigningIdentity } from "../core/crypto/mod.ts";
import { Alice, type AliceResult, Bob, PeerTrust } from "../roles/keygen/mod.ts";
import type { KeyStore } from "../roles/keystore/mod.ts";
import { WorkerService } from "../roles/worker/mod.ts";
import { SimCluster, type SimNode } from "./cluster.ts";
import { populate } from "./population.ts";
import { emptyOutcome, probeLookups, type ProbeOutcome } from "./probes.ts";
import { reportOf, type SimReport } from "./report.ts";
import type { ScenarioParams } from "./scenario.ts";
import type { World } from "./world.ts";

/** The key exchange's figures, besides the common ones. */
export interface KeygenFigures {
  /** The session ended with a confirmed key. */
  key_ok: boolean;
  /** Alice's and Bob's stored keys are the same bits (false when either is missing). */
  keys_equal: boolean;
  final_bits: number;
  qber: number;
  rounds: number;
  workers_used: number;
  /** The session's virtual duration, discovery to confirmation. */
  key_virtual_s: number;
  /** The session's wall time (the real work of a virtual session). */
  key_wall_s: number;
  /** WebCrypto calls run inside virtual time. */
  crypto_calls: number;
  /** Why the session failed, when it did. */
  reason?: string;
}

/** How long the session may take, in virtual seconds, before the run gives up on it. */
const SESSION_LIMIT_S = 600;

/** Runs the keygen scenario in `world`. */
export async function runKeygen(
  p: ScenarioParams,
  world: World,
  wallStart: number,
): Promise<SimReport & KeygenFigures> {
  const cluster = new SimCluster(world);
  const { scheduler } = world;
  // Each worker takes roles once its join ended well, as `cqkd startup` attaches them.
  const population = populate(cluster, p.nodes, (worker) => {
    cluster.act(world.seconds, worker, (node) => WorkerService.attach(node));
  });
  const [aliceIdentity, bobIdentity] = [SigningIdentity.generate(), SigningIdentity.generate()];
  let alice: { simNode: SimNode; party: Alice } | undefined;
  let bob: { simNode: SimNode; party: Bob } | undefined;
  const partiesS = population.joinedS + 1;
  cluster.join(partiesS, "bob", population.seedPeers, (simNode, ok) => {
    if (!ok) return population.joinFailures++;
    const trust = new PeerTrust({ trustedPeers: [aliceIdentity.publicKey] });
    cluster.act(world.seconds, simNode, async (node) => {
      bob = { simNode, party: await Bob.attach(node, { identity: bobIdentity, trust }) };
    });
  });
  cluster.join(partiesS, "alice", population.seedPeers, (simNode, ok) => {
    if (!ok) return population.joinFailures++;
    const trust = new PeerTrust({ trustedPeers: [bobIdentity.publicKey] });
    const discover = simNode.services!.discovery.discover.bind(simNode.services!.discovery);
    cluster.act(world.seconds, simNode, async (node) => {
      alice = { simNode, party: await Alice.attach(node, { identity: aliceIdentity, trust, discover }) };
    });
  });

  const sessionS = partiesS + 5;
  let result: AliceResult | Error | undefined;
  let started = { virtualMs: 0, wallMs: 0 };
  let ended = { virtualMs: 0, wallMs: 0 };
  scheduler.at(sessionS * 1000, 0, () => {
    if (alice === undefined || bob === undefined) {
      result = new Error("Alice or Bob is not in the network when the session is due");
      return;
    }
    const request = { keyBits: p.bits ?? 256, noise: p.noise ?? 0, bob: bob.simNode.node.address };
    started = { virtualMs: scheduler.now, wallMs: performance.now() };
    cluster.act(sessionS, alice.simNode, () => alice!.party.generateKey(request), (r) => {
      result = r;
      ended = { virtualMs: scheduler.now, wallMs: performance.now() };
    });
  });
  const probes = new Map<string, ProbeOutcome>([["session", emptyOutcome()]]);
  probeLookups(cluster, sessionS, p.lookups ?? 100, probes.get("session")!);

  // Run until the session ends (and the lookups probed with it have answered).
  let seconds = sessionS + 10;
  await world.runUntil(seconds);
  while (result === undefined && seconds < sessionS + SESSION_LIMIT_S) await world.runUntil(++seconds);

  const figures = keygenFigures(result, alice?.party, bob?.party);
  figures.key_virtual_s = Math.round(ended.virtualMs - started.virtualMs) / 1000;
  figures.key_wall_s = Math.round(ended.wallMs - started.wallMs) / 1000;
  figures.crypto_calls = world.hostWork.calls;
  for (const x of [figures.final_bits, figures.keys_equal ? 1 : 0, figures.rounds, figures.workers_used]) {
    scheduler.trace.add(x);
  }
  scheduler.trace.add(Math.round(figures.qber * 1e6));
  const broken = result === undefined
    ? `the key exchange did not end within ${SESSION_LIMIT_S} virtual s (seed ${p.seed})`
    : figures.key_ok && !figures.keys_equal
    ? `invariant "keys equal" broken (seed ${p.seed}): a confirmed key differs between Alice and Bob`
    : undefined;
  const report = reportOf(world, cluster, {
    ...p,
    wallStart,
    probes,
    main: "session",
    valuesLost: 0,
    joinFailures: population.joinFailures,
    broken,
  });
  return { ...report, ...figures };
}

/** What the session gave: its outcome and whether both key stores hold the same key. */
function keygenFigures(result: AliceResult | Error | undefined, alice?: Alice, bob?: Bob): KeygenFigures {
  const figures: KeygenFigures = {
    key_ok: false,
    keys_equal: false,
    final_bits: 0,
    qber: 0,
    rounds: 0,
    workers_used: 0,
    key_virtual_s: 0,
    key_wall_s: 0,
    crypto_calls: 0,
  };
  if (result === undefined) return { ...figures, reason: "did not end" };
  if (result instanceof Error) return { ...figures, reason: result.message };
  const take = (store: KeyStore | undefined, id: string | undefined) => id === undefined ? undefined : store?.take(id);
  const aliceKey = take(alice?.keyStore, result.keyId);
  const bobKey = take(bob?.keyStore, result.keyId ?? bob?.session(result.session)?.keyId);
  const equal = aliceKey !== undefined && bobKey !== undefined && aliceKey.bitLength === bobKey.bitLength &&
    aliceKey.bytes.every((byte, i) => byte === bobKey.bytes[i]);
  return {
    ...figures,
    key_ok: result.ok,
    keys_equal: equal,
    final_bits: result.finalBits,
    qber: result.qber,
    rounds: result.rounds,
    workers_used: result.workers,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
  };
}
