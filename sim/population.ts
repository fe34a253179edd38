import type { Peer } from "../core/net/mod.ts";
import type { SimCluster, SimNode } from "./cluster.ts";

/** The network every scenario starts from: two seed nodes and the workers joined through them. */
export interface Population {
  seeds: SimNode[];
  /** The live seeds' addresses (what a node joins through). */
  seedPeers(): Peer[];
  /** The virtual second by which every worker has started its join. */
  joinedS: number;
  /** Joins that ended in an error so far. */
  joinFailures: number;
}

/**
 * Starts two seed nodes, then joins `workers` workers through them at a steady rate (over workers/200 s, 5 to
 * 100 s); `onJoined` sees each worker whose join ended well.
 */
export function populate(cluster: SimCluster, workers: number, onJoined?: (worker: SimNode) => void): Population {
  const { scheduler } = cluster.world;
  const seeds: SimNode[] = [];
  const seedPeers = (): Peer[] => seeds.filter((s) => s.alive).map((s) => s.node.address);
  scheduler.at(0, 0, () => seeds.push(cluster.spawn("super-bootstrap")));
  scheduler.at(100, 0, () => {
    const second = cluster.spawn("super-bootstrap");
    seeds.push(second);
    cluster.act(0.1, second, (node) => node.bootstrap([seeds[0]!.node.address]));
  });
  const joinWindowS = Math.min(100, Math.max(5, workers / 200));
  const population: Population = { seeds, seedPeers, joinedS: Math.ceil(1 + joinWindowS), joinFailures: 0 };
  for (let i = 0; i < workers; i++) {
    cluster.join(1 + (i * joinWindowS) / workers, "worker", seedPeers, (worker, ok) => {
      if (ok) onJoined?.(worker);
      else population.joinFailures++;
    });
  }
  return population;
}
