import type { LookupEvent } from "../core/kademlia/mod.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import type { SimCluster, SimNode } from "./cluster.ts";

/** Outcomes of the probes run at one virtual time. */
export interface ProbeOutcome {
  lookups: number;
  lookupOk: number;
  gets: number;
  getOk: number;
  /** Hops and virtual duration (ms) of each finished lookup probe. */
  hops: number[];
  latencyMs: number[];
  /** Ids a locate probe did not reach. */
  unreached: string[];
  reachTried: number;
}

export function emptyOutcome(): ProbeOutcome {
  return { lookups: 0, lookupOk: 0, gets: 0, getOk: 0, hops: [], latencyMs: [], unreached: [], reachTried: 0 };
}

/**
 * At `atS`, `count` lookups of random ids from random live nodes: one succeeds when the first contact it returns is
 * the live node truly closest to the target (the querying node aside), as bench:churn counts it.
 */
export function probeLookups(cluster: SimCluster, atS: number, count: number, out: ProbeOutcome): void {
  const { random } = cluster.world;
  cluster.world.scheduler.at(atS * 1000, 0, () => {
    const live = cluster.joined();
    for (let i = 0; i < count; i++) {
      const from = random.pick(live);
      const target = cluster.randomId();
      out.lookups++;
      let event: LookupEvent | undefined;
      const off = from.node.events.lookup.on((e) => {
        if (e.target === target) event = e;
      });
      cluster.act(atS, from, (node) => node.findNode(target), (found) => {
        off();
        if (found instanceof Error) return;
        const truth = cluster.trueClosest(target, from);
        if (found[0] !== undefined && truth !== undefined && found[0].id.equals(truth.node.id)) out.lookupOk++;
        if (event !== undefined) {
          out.hops.push(event.hops);
          out.latencyMs.push(event.durationMs);
        }
      });
    }
  });
}

/** At `atS`, every key read from a random live node (a value counts when the one written comes back). */
export function probeGets(
  cluster: SimCluster,
  atS: number,
  values: ReadonlyMap<string, string>,
  out: ProbeOutcome,
): void {
  const { random } = cluster.world;
  cluster.world.scheduler.at(atS * 1000, 0, () => {
    const live = cluster.joined();
    for (const [keyHex, value] of values) {
      out.gets++;
      cluster.act(atS, random.pick(live), (node) => node.get(NodeId.fromHex(keyHex)), (got) => {
        if (got === value) out.getOk++;
      });
    }
  });
}

/** At `atS`, `from` locates each of `targets` (all at once, as Alice's check after a startup does). */
export function probeReach(
  cluster: SimCluster,
  atS: number,
  from: SimNode,
  targets: () => SimNode[],
  out: ProbeOutcome,
): void {
  cluster.world.scheduler.at(atS * 1000, 0, () => {
    for (const target of targets()) {
      out.reachTried++;
      cluster.act(atS, from, (node) => node.locate(target.node.id), (found) => {
        if (found instanceof Error || found === undefined) {
          if (target.alive) out.unreached.push(target.node.id.hex);
        }
      });
    }
  });
}

/** The `q` quantile of `values` (nearest rank), or null for none. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function share(ok: number, total: number): number | null {
  return total === 0 ? null : Math.round((ok / total) * 10000) / 10000;
}
