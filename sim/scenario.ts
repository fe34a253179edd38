import { NodeId } from "../core/kademlia/mod.ts";
import type { Peer } from "../core/net/mod.ts";
import { SimCluster, type SimNode } from "./cluster.ts";
import { Invariants, liveReplicas } from "./invariants.ts";
import { runKeygen } from "./keygen.ts";
import { populate } from "./population.ts";
import { emptyOutcome, probeGets, probeLookups, type ProbeOutcome, probeReach } from "./probes.ts";
import { reportOf, type SimReport } from "./report.ts";
import { InvariantError } from "./scheduler.ts";
import { World, type WorldOptions } from "./world.ts";

export type { SimReport };

export const SCENARIOS = ["mass-join", "churn", "partition", "tier-loss", "keygen"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The inputs of a run: a run is a function of these. */
export interface ScenarioParams {
  scenario: ScenarioName;
  nodes: number;
  seed: number;
  /** Values stored before the disruption. @default {100} */
  values?: number;
  /** Lookups per probe. @default {100} */
  lookups?: number;
  /** Nodes located in a reach check (all live workers when fewer). @default {1000} */
  reach?: number;
  /** Share of workers killed (churn). @default {0.3} */
  kill?: number;
  /** Datagram loss. @default {0} */
  loss?: number;
  /** Datagram duplication. @default {0} */
  duplicate?: number;
  /** Largest clock skew, ms. @default {0} */
  clockSkewMs?: number;
  /** Host processes that freeze now and then (see {@linkcode WorldOptions.stalls}). @default none */
  stalls?: WorldOptions["stalls"];
  /** Bare Kademlia nodes, without health, refresh, adaptive parameters and discovery. @default {false} */
  bare?: boolean;
  /** Bits of the key the keygen scenario asks for. @default {256} */
  bits?: number;
  /** Share of photons the keygen scenario's channel flips (its QBER). @default {0} */
  noise?: number;
  /** Check the invariants (a broken one stops the run). @default {true} */
  invariants?: boolean;
  /** Called about every 100,000 events with the virtual seconds and events so far (progress of long runs). */
  progress?: (virtualS: number, events: number) => void;
  /** Debugging aid: called with the cluster before the run starts (to schedule observations). */
  observe?: (cluster: SimCluster) => void;
  /** Debugging aid: called with the cluster and the stored keys when the run ends. */
  inspect?: (cluster: SimCluster, keys: NodeId[]) => void;
}

/** The command that replays a run. */
export function replayCommand(p: ScenarioParams): string {
  const flags: Array<[string, unknown]> = [
    ["values", p.values],
    ["lookups", p.lookups],
    ["reach", p.reach],
    ["kill", p.kill],
    ["loss", p.loss],
    ["duplicate", p.duplicate],
    ["clock-skew-ms", p.clockSkewMs],
    ["stalls", p.stalls && `${p.stalls.processes},${p.stalls.everyMs},${p.stalls.forMs}`],
    ["bits", p.bits],
    ["noise", p.noise],
  ];
  const extra = flags.filter(([, v]) => v !== undefined).map(([name, v]) => ` --${name} ${v}`).join("");
  return `deno task sim --scenario ${p.scenario} --nodes ${p.nodes} --seed ${p.seed}${extra}${p.bare ? " --bare" : ""}`;
}

/** A fresh world for a run of `p` (progress reports included). */
export function worldFor(p: ScenarioParams): World {
  const world = new World({
    seed: p.seed,
    clockSkewMs: p.clockSkewMs ?? 0,
    ...(p.stalls ? { stalls: p.stalls } : {}),
    network: { loss: p.loss ?? 0, duplicate: p.duplicate ?? 0 },
  });
  if (p.progress) world.scheduler.onProgress = () => p.progress!(world.seconds, world.scheduler.events);
  return world;
}

/** Runs one scenario in a fresh world. */
export async function runScenario(p: ScenarioParams): Promise<SimReport> {
  const wallStart = performance.now();
  using world = worldFor(p);
  if (p.scenario === "keygen") return await runKeygen(p, world, wallStart);
  const cluster = new SimCluster(world, p.bare ? { services: false } : {});
  p.observe?.(cluster);
  const invariants = new Invariants(cluster, replayCommand(p));
  const check = p.invariants ?? true;
  const k = 20;
  const probes = new Map<string, ProbeOutcome>();
  const probe = (name: string) => {
    const out = probes.get(name) ?? emptyOutcome();
    probes.set(name, out);
    return out;
  };
  const values = new Map<string, string>();

  // Two seeds, then the workers at a steady rate, then Alice; values written from random workers.
  const population = populate(cluster, p.nodes);
  const { seeds, seedPeers, joinedS } = population;
  let alice: SimNode | undefined;
  /** Reach probes due before Alice's join ended (stalled hosts can hold a join up for seconds). */
  const waitingForAlice: Array<() => void> = [];
  cluster.join(joinedS + 1, "alice", seedPeers, (n, ok) => {
    alice = n;
    if (!ok) population.joinFailures++;
    for (const probe of waitingForAlice.splice(0)) probe();
  });
  const writeS = joinedS + 2;
  world.scheduler.at(writeS * 1000, 0, () => {
    const workers = cluster.joined("worker");
    for (let i = 0; i < (p.values ?? 100); i++) {
      const key = cluster.randomId();
      values.set(key.hex, `value-${i}`);
      cluster.act(writeS, world.random.pick(workers), (node) => node.set(key, `value-${i}`));
    }
  });
  const keys = () => [...values.keys()].map((hex) => NodeId.fromHex(hex));
  const lookups = p.lookups ?? 100;
  const reachSample = () => {
    const workers = cluster.joined("worker");
    const want = p.reach ?? 1000;
    return workers.length <= want ? workers : world.random.shuffle(workers).slice(0, want);
  };
  const probeAll = (name: string, atS: number, reach: boolean) => {
    const out = probe(name);
    probeLookups(cluster, atS, lookups, out);
    probeGets(cluster, atS, values, out);
    if (reach) {
      const start = () => {
        const nowS = world.seconds;
        probeReach(cluster, nowS, alice!, reachSample, out);
        if (check) invariants.reached(nowS + 25, () => out.unreached, () => out.reachTried);
      };
      world.scheduler.at(atS * 1000, 0, () => alice ? start() : waitingForAlice.push(start));
    }
  };

  let endS: number;
  let report = "final";
  const settledS = writeS + 10;
  if (p.scenario === "mass-join") {
    probeAll("final", settledS, true);
    if (check) invariants.replicas(settledS + 25, keys, k);
    endS = settledS + 30;
  } else if (p.scenario === "churn") {
    const killS = writeS + 20;
    probeAll("before", killS - 5, true);
    world.scheduler.at(killS * 1000, 0, () => {
      const workers = world.random.shuffle(cluster.live("worker"));
      for (const victim of workers.slice(0, Math.round((p.kill ?? 0.3) * workers.length))) cluster.crash(victim);
    });
    for (const after of [5, 15, 30, 60]) probeAll(`t+${after}`, killS + after, after === 30);
    report = "t+30";
    if (check) {
      // Bare nodes have no health checks: they drop a dead contact only when a lookup finds it silent, and so
      // repair a value only then (or at the writer's hourly republish); neither bound holds for them.
      if (!p.bare) {
        invariants.deadFree(killS + 60, 3);
        invariants.replicas(killS + 60, keys, k);
      }
    }
    endS = killS + 90;
  } else if (p.scenario === "partition") {
    const cutS = writeS + 10;
    const healS = cutS + 60;
    world.scheduler.at(cutS * 1000, 0, () => world.network.partition((host) => host % 2));
    // Values written on either side during the cut must be readable from both soon after the heal.
    world.scheduler.at((cutS + 20) * 1000, 0, () => {
      const workers = cluster.joined("worker");
      for (let i = 0; i < (p.values ?? 100); i++) {
        const key = cluster.randomId();
        values.set(key.hex, `cut-${i}`);
        cluster.act(cutS + 20, world.random.pick(workers), (node) => node.set(key, `cut-${i}`));
      }
    });
    probeAll("during", cutS + 30, false);
    probeAll("healed+10", healS + 10, false);
    world.scheduler.at(healS * 1000, 0, () => world.network.heal());
    probeAll("healed+60", healS + 60, true);
    report = "healed+60";
    if (check) invariants.replicas(healS + 90, keys, k);
    endS = healS + 95;
  } else {
    // tier-loss: both seeds die; later joins go through any live worker, as a fallback list would.
    const lossS = writeS + 10;
    world.scheduler.at(lossS * 1000, 0, () => seeds.forEach((s) => cluster.crash(s)));
    const fallback = (): Peer[] => cluster.live("worker").slice(0, 3).map((n) => n.node.address);
    const late = Math.max(1, Math.round(p.nodes / 10));
    for (let i = 0; i < late; i++) {
      cluster.join(lossS + 1 + (i * 10) / late, "worker", fallback, (_, ok) => ok || population.joinFailures++);
    }
    probeAll("after-loss", lossS + 30, true);
    report = "after-loss";
    endS = lossS + 60;
  }

  let broken: string | undefined;
  try {
    await world.runUntil(endS);
  } catch (error) {
    if (!(error instanceof InvariantError)) throw error;
    broken = error.message;
  }
  p.inspect?.(cluster, keys());
  return reportOf(world, cluster, {
    ...p,
    wallStart,
    probes,
    main: report,
    valuesLost: keys().filter((key) => liveReplicas(cluster, key) === 0).length,
    joinFailures: population.joinFailures,
    broken,
  });
}
