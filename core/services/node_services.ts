import {
  AdaptiveKademlia,
  type AdaptiveKademliaOptions,
  type DynamicsSnapshot,
  type NetworkTier,
  type RoutingTableAnalysis,
} from "../adaptive/mod.ts";
import { advertiseCapabilities, type CacheStats, Discovery, type DiscoveryOptions } from "../discovery/mod.ts";
import {
  emptyLevelStats,
  type HealthCounts,
  type HealthLevel,
  HealthManager,
  type HealthManagerOptions,
  type LevelStats,
  livenessPolicyFor,
} from "../health/mod.ts";
import type { KademliaNode, KademliaNodeOptions } from "../kademlia/mod.ts";
import { RefreshManager, type RefreshManagerOptions, type RefreshSummary } from "../refresh/mod.ts";
import { DIAGNOSE_RPC, nodeDiagnostics } from "./diagnostics.ts";

/** Options of {@linkcode attachNodeServices}; `servicesOptionsFrom(settings)` builds them from the settings. */
export interface NodeServicesOptions {
  /** Adaptive parameters; `enabled: false` keeps the node's own parameters (the analysis still runs). */
  adaptive?: AdaptiveKademliaOptions;
  /** Health checks; `enabled: false` runs none. @default enabled */
  health?: HealthManagerOptions & { enabled?: boolean };
  /** Adaptive refresh; `enabled: false` refreshes only buckets idle for the refresh interval. @default enabled */
  refresh?: Omit<RefreshManagerOptions, "dynamics" | "now"> & { enabled?: boolean };
  /** Discovery cache and limits. */
  discovery?: Omit<DiscoveryOptions, "health" | "networkSize" | "now">;
  /** What the node advertises on `cqkd_capabilities`. @default every protocol role for a worker, none otherwise */
  capabilities?: readonly string[];
  /** Clock in milliseconds, for every service. @default {Date.now} */
  now?: () => number;
}

/** The state of a node's services, as `cqkd status` prints it: a plain JSON-able object. */
export interface NodeServicesSummary {
  networkSize: number;
  tier: NetworkTier;
  /** The parameters the node uses now. */
  parameters: { alpha: number; k: number; timeoutMs: number; refreshIntervalS: number; adaptive: boolean };
  dynamics: DynamicsSnapshot;
  routingTable: RoutingTableAnalysis;
  health: { enabled: boolean; counts: HealthCounts; checks: Record<HealthLevel, LevelStats> };
  refresh: RefreshSummary | { enabled: false };
  discovery: CacheStats;
}

/** The services attached to one node. */
export interface NodeServices extends AsyncDisposable {
  readonly adaptive: AdaptiveKademlia;
  readonly health: HealthManager | undefined;
  readonly refresh: RefreshManager | undefined;
  /** `discover(count, {capabilities?, signal?})`: discover_nodes (docs/network.md#discovery). */
  readonly discovery: Discovery;
  /** What the services see and do now. */
  summary(): NodeServicesSummary;
  /** Stops every service (timers, checks and refreshes in flight) and withdraws the capabilities and diagnose RPCs. */
  stop(): Promise<void>;
}

/**
 * The node option that makes a node judge contacts by the liveness policy of the health checks `options` ask for
 * (none when they are off): pass it to `KademliaNode.start()` of a node that {@linkcode attachNodeServices} will
 * serve, whose health manager then records its checks where the node's policy reads them.
 */
export function livenessFor(options: NodeServicesOptions = {}): Pick<KademliaNodeOptions, "liveness"> {
  const { enabled = true, ...health } = options.health ?? {};
  if (!enabled || health.levels?.length === 0) return {};
  return { liveness: livenessPolicyFor({ ...health, ...(options.now ? { now: options.now } : {}) }) };
}

/**
 * Attaches the adaptive parameters, health checks, adaptive refresh and discovery to a running node and starts
 * them, and answers the read-only `cqkd_diagnose` RPC with the node's diagnosis: the composition root the host
 * processes and `cqkd node` call for every node.
 *
 * @example A worker with its services, and their summary
 * ```ts
 * import { KademliaNode } from "../kademlia/mod.ts";
 * import { attachNodeServices, livenessFor } from "./mod.ts";
 * await using node = KademliaNode.start({ role: "worker", ...livenessFor() });
 * await using services = attachNodeServices(node);
 * console.assert(services.summary().parameters.k === 20);
 * ```
 */
export function attachNodeServices(node: KademliaNode, options: NodeServicesOptions = {}): NodeServices {
  const { now } = options;
  const clock = now === undefined ? {} : { now };
  const withdraw = advertiseCapabilities(node, options.capabilities);
  const adaptive = new AdaptiveKademlia(node, { ...options.adaptive, ...clock });
  const { enabled: healthEnabled = true, ...healthOptions } = options.health ?? {};
  const health = healthEnabled && healthOptions.levels?.length !== 0
    ? new HealthManager(node, { ...healthOptions, ...clock })
    : undefined;
  const { enabled: refreshEnabled = true, ...refreshOptions } = options.refresh ?? {};
  const refresh = refreshEnabled
    ? new RefreshManager(node, {
      ...refreshOptions,
      ...clock,
      dynamics: () => adaptive.dynamics.snapshot(node.table.size).level,
    })
    : undefined;
  // Without the adaptive refresh, idle buckets are still refreshed every refresh interval (the paper's refresh).
  const idleRefresh = refresh ?? new RefreshManager(node, { ...refreshOptions, ...clock, adaptive: false });
  const fast = { intervalS: 30, timeoutMs: 2000, ...healthOptions.fast };
  const discovery = new Discovery(node, {
    freshMs: fast.intervalS * 1000,
    verifyTimeoutMs: fast.timeoutMs,
    ...options.discovery,
    ...(health === undefined ? {} : { health: health.registry }),
    networkSize: () => adaptive.estimator.estimate(node.table),
    ...clock,
  });
  // A contact lost to failures that answers again means a cut healed: refresh to learn the contacts lost meanwhile.
  const offRevived = health && refresh ? health.revived.on(() => refresh.healed()) : () => {};
  adaptive.start();
  health?.start();
  idleRefresh.start();

  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      offRevived();
      adaptive.stop();
      await Promise.all([health?.stop(), idleRefresh.stop()]);
      withdraw();
      node.rpc.unregister(DIAGNOSE_RPC);
    })();
  const services: NodeServices = {
    adaptive,
    health,
    refresh,
    discovery,
    summary() {
      const analysis = adaptive.report();
      return {
        networkSize: analysis.networkSize,
        tier: analysis.tier,
        parameters: {
          alpha: node.alpha,
          k: node.table.k,
          timeoutMs: node.rpcTimeoutMs,
          refreshIntervalS: refresh?.intervalS ?? node.refreshIntervalS,
          adaptive: analysis.adaptive,
        },
        dynamics: analysis.dynamics,
        routingTable: analysis.routingTable,
        health: {
          enabled: health !== undefined,
          counts: health?.counts() ?? { healthy: 0, degraded: 0, unhealthy: 0, unchecked: node.table.size },
          checks: health?.stats ?? emptyLevelStats(),
        },
        refresh: refresh?.summary() ?? { enabled: false },
        discovery: discovery.cache.stats,
      };
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
  node.rpc.register(DIAGNOSE_RPC, () => nodeDiagnostics(node, services, clock));
  return services;
}
