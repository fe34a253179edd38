import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import type { Peer } from "../core/net/mod.ts";
import { attachNodeServices, livenessFor, type NodeServices, type NodeServicesOptions } from "../core/services/mod.ts";
import { hostAddress } from "./network.ts";
import type { World } from "./world.ts";

/** One simulated process running a DHT node (and its services, unless turned off). */
export interface SimNode {
  readonly index: number;
  readonly ctx: number;
  readonly role: string;
  readonly node: KademliaNode;
  readonly services: NodeServices | undefined;
  alive: boolean;
  /**
   * Its join ended well (the seeds count as joined). A node still joining is alive but not yet part of the network:
   * a process that stalls through its join can still be at it when the probes run.
   */
  joined: boolean;
}

/** Settings of every node of a cluster. */
export interface ClusterOptions {
  /** Bucket size and replication factor. @default {20} */
  k?: number;
  /** Lookup parallelism. @default {3} */
  alpha?: number;
  /** Services attached to each node, or false for bare Kademlia nodes. @default the timers of bench:churn */
  services?: NodeServicesOptions | false;
}

/** The services' timers of `bench:churn`, scaled so that the parameters adapt within a short run. */
export const CHURN_SERVICES: NodeServicesOptions = {
  adaptive: { analysisIntervalS: 10 },
  health: { fast: { intervalS: 30 }, medium: { intervalS: 120 }, deep: { intervalS: 600 } },
  refresh: { optimizationIntervalS: 30 },
};

const PORT = 4000;

/**
 * The simulated nodes of a world: started in their own process context on their own host (10.x.y.z:4000), joined,
 * crashed and restarted by scheduled events, and asked to act (lookups, set/get) at given virtual times.
 */
export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly world: World;
  readonly #options: ClusterOptions;
  #nextHost = 1;
  #liveCount = 0;

  constructor(world: World, options: ClusterOptions = {}) {
    this.world = world;
    this.#options = options;
  }

  get liveCount(): number {
    return this.#liveCount;
  }

  /** Starts a node now, on a new host (or `index`'s, for a restart with the same id). */
  spawn(role: string, restartOf?: SimNode): SimNode {
    const ctx = this.world.newProcess();
    const index = restartOf?.index ?? this.#nextHost++;
    return this.world.scheduler.within(ctx, () => {
      const settings = this.#options.services ?? CHURN_SERVICES;
      const node = KademliaNode.start({
        ...(settings === false ? {} : livenessFor(settings)),
        host: hostAddress(index),
        port: PORT,
        role,
        ...(restartOf ? { id: restartOf.node.id } : {}),
        ...(this.#options.k ? { k: this.#options.k } : {}),
        ...(this.#options.alpha ? { alpha: this.#options.alpha } : {}),
      });
      const services = settings === false ? undefined : attachNodeServices(node, settings);
      const simNode: SimNode = { index, ctx, role, node, services, alive: true, joined: role === "super-bootstrap" };
      this.nodes.push(simNode);
      this.#liveCount++;
      return simNode;
    });
  }

  /**
   * At virtual second `atS`, runs `fn` on `simNode` in its process; `done` gets the result, or the error (never
   * called if the node crashes first).
   */
  act<T>(atS: number, simNode: SimNode, fn: (node: KademliaNode) => Promise<T>, done?: (r: T | Error) => void): void {
    this.world.scheduler.at(atS * 1000, simNode.ctx, () => {
      if (!simNode.alive) return;
      Promise.try(fn, simNode.node).then(
        (result) => done?.(result),
        (error) => done?.(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }

  /** At `atS`, starts a node of `role` and joins it through `seeds`; `done` gets it and whether the join worked. */
  join(atS: number, role: string, seeds: () => Peer[], done?: (simNode: SimNode, ok: boolean) => void): void {
    this.world.scheduler.at(atS * 1000, 0, () => {
      const simNode = this.spawn(role);
      this.act(
        this.world.seconds,
        simNode,
        (node) => node.bootstrap(seeds()),
        (r) => {
          simNode.joined = !(r instanceof Error);
          done?.(simNode, simNode.joined);
        },
      );
    });
  }

  /** Crashes a node: its process vanishes (no goodbye, its timers and datagrams are dropped). */
  crash(simNode: SimNode): void {
    if (!simNode.alive) return;
    simNode.alive = false;
    this.#liveCount--;
    this.world.scheduler.crash(simNode.ctx);
    this.world.network.socketAt(hostAddress(simNode.index), PORT)?.vanish();
  }

  /** Restarts a crashed node on its host with its id and an empty state, and joins it through `seeds`. */
  restart(simNode: SimNode, seeds: Peer[]): SimNode {
    const fresh = this.spawn(simNode.role, simNode);
    this.act(this.world.seconds, fresh, (node) => node.bootstrap(seeds), (r) => fresh.joined = !(r instanceof Error));
    return fresh;
  }

  live(role?: string): SimNode[] {
    return this.nodes.filter((n) => n.alive && (role === undefined || n.role === role));
  }

  /** The live nodes whose join ended well: those the probes ask and look for. */
  joined(role?: string): SimNode[] {
    return this.live(role).filter((n) => n.joined);
  }

  /** The live node closest to `target`, `except` one. */
  trueClosest(target: NodeId, except?: SimNode): SimNode | undefined {
    let best: SimNode | undefined;
    let bestDistance = 0n;
    for (const n of this.nodes) {
      if (!n.alive || n === except) continue;
      const d = n.node.id.distanceTo(target);
      if (best === undefined || d < bestDistance) {
        best = n;
        bestDistance = d;
      }
    }
    return best;
  }

  /** A random id from the world's random source. */
  randomId(): NodeId {
    return this.world.scheduler.within(0, () => NodeId.random());
  }
}
