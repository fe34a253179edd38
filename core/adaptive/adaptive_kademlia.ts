import { Emitter, type KademliaNode } from "../kademlia/mod.ts";
import { DynamicsAnalyzer, type DynamicsAnalyzerOptions, type DynamicsSnapshot } from "./dynamics.ts";
import { NetworkSizeEstimator } from "./network_size.ts";
import {
  DEFAULT_THRESHOLDS,
  type KademliaParameters,
  type NetworkThresholds,
  type NetworkTier,
  parametersFor,
  tierFor,
} from "./parameter_table.ts";
import { analyzeRoutingTable, type RoutingTableAnalysis } from "./table_analysis.ts";

/** Options of {@linkcode AdaptiveKademlia}. */
export interface AdaptiveKademliaOptions {
  /** Apply the parameters to the node; when false the analysis still runs and is reported. @default {true} */
  enabled?: boolean;
  /** Bounds of the size classes. @default {DEFAULT_THRESHOLDS} (50/200/500/1000) */
  thresholds?: NetworkThresholds;
  /** Time between analyses. @default {60} */
  analysisIntervalS?: number;
  /** Contacts and buckets silent this long count as stale in the routing-table analysis. @default {60} */
  staleAfterS?: number;
  /** Options of the churn analysis. */
  dynamics?: Omit<DynamicsAnalyzerOptions, "now">;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** One analysis: what the node sees of the network and the parameters it chose. */
export interface NetworkAnalysis {
  networkSize: number;
  tier: NetworkTier;
  /** The parameters in force after this analysis. */
  parameters: KademliaParameters;
  /** Whether the parameters are applied to the node. */
  adaptive: boolean;
  dynamics: DynamicsSnapshot;
  routingTable: RoutingTableAnalysis;
}

/**
 * Adaptive Kademlia parameters (SPEC §5): a network-size estimator, a dynamics analyzer and a routing-table
 * analyzer, run every analysis interval (at a random phase), choose alpha, k, timeout and refresh interval from
 * the parameter table and apply them to the running node: its routing table and its lookups use them at once.
 * The refresh interval is announced on {@linkcode parametersChanged} for the refresh manager (or, without one, is
 * set on the node directly by the caller).
 */
export class AdaptiveKademlia {
  readonly estimator: NetworkSizeEstimator;
  readonly dynamics: DynamicsAnalyzer;
  /** Called with the new parameters each time an analysis changes them. */
  readonly parametersChanged: Emitter<KademliaParameters> = new Emitter();
  readonly #node: KademliaNode;
  readonly #enabled: boolean;
  readonly #thresholds: NetworkThresholds;
  readonly #intervalMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #unsubscribe: Array<() => void> = [];
  #tier: NetworkTier | undefined;
  #parameters: KademliaParameters;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(node: KademliaNode, options: AdaptiveKademliaOptions = {}) {
    this.#node = node;
    this.#enabled = options.enabled ?? true;
    this.#thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
    this.#intervalMs = (options.analysisIntervalS ?? 60) * 1000;
    this.#staleAfterMs = (options.staleAfterS ?? 60) * 1000;
    this.#now = options.now ?? Date.now;
    this.estimator = new NetworkSizeEstimator({ now: this.#now });
    this.dynamics = new DynamicsAnalyzer({ ...options.dynamics, now: this.#now });
    this.#parameters = {
      alpha: node.alpha,
      k: node.table.k,
      timeoutMs: node.rpcTimeoutMs,
      refreshIntervalS: node.refreshIntervalS,
    };
  }

  /** The parameters in force: the node's own until an analysis with adaptation enabled changes them. */
  get parameters(): KademliaParameters {
    return this.#parameters;
  }

  /** Starts listening to the node and analysing every interval, the first time at a random point of it. */
  start(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#unsubscribe.push(
      this.dynamics.observe(this.#node),
      // A value lookup stops at the first value: its closest contacts say nothing of the density.
      this.#node.events.lookup.on((e) => e.findValue || this.estimator.addLookup(e.target, e.closest, e.k)),
    );
    const tick = () => {
      this.analyze();
      this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#timer = setTimeout(tick, Math.random() * this.#intervalMs);
  }

  /** Stops analysing; the parameters in force stay. */
  stop(): void {
    clearTimeout(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Analyses the network now and, when enabled, applies the parameters of its size class. */
  analyze(): NetworkAnalysis {
    const networkSize = this.estimator.estimate(this.#node.table);
    this.#tier = tierFor(networkSize, this.#thresholds, this.#tier);
    if (this.#enabled) this.#apply(parametersFor(this.#tier, networkSize, this.#thresholds));
    return this.#report(networkSize, this.#tier);
  }

  /** The analysis as of now, without changing anything: the size class and parameters are those in force. */
  report(): NetworkAnalysis {
    const networkSize = this.estimator.estimate(this.#node.table);
    return this.#report(networkSize, this.#tier ?? tierFor(networkSize, this.#thresholds));
  }

  #report(networkSize: number, tier: NetworkTier): NetworkAnalysis {
    const table = this.#node.table;
    return {
      networkSize,
      tier,
      parameters: this.#parameters,
      adaptive: this.#enabled,
      dynamics: this.dynamics.snapshot(table.size),
      routingTable: analyzeRoutingTable(table, this.#staleAfterMs, this.#now),
    };
  }

  #apply(next: KademliaParameters): void {
    const current = this.#parameters;
    if (
      next.alpha === current.alpha && next.k === current.k && next.timeoutMs === current.timeoutMs &&
      next.refreshIntervalS === current.refreshIntervalS
    ) return;
    this.#parameters = next;
    this.#node.alpha = next.alpha;
    this.#node.table.k = next.k;
    this.#node.rpcTimeoutMs = next.timeoutMs;
    this.parametersChanged.emit(next);
  }
}
