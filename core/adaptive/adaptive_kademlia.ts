import type { KademliaNode, ParametersChangedEvent } from "../kademlia/mod.ts";
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
import { runtime } from "../runtime/mod.ts";

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
 * Adaptive Kademlia parameters (docs/network.md): a network-size estimator, a dynamics analyzer and a routing-table
 * analyzer, run every analysis interval (at a random phase), choose alpha, k, timeout and refresh interval from
 * the parameter table and apply them to the running node through `node.parameters.update()`: its routing table,
 * its lookups and its refresh manager follow at once.
 *
 * A parameter an operator sets (`node.parameters.update()` by `cqkd tune` or the admin API) is pinned: the analyses
 * go on choosing, but leave a pinned parameter alone until {@linkcode unpin} hands it back to them (and applies
 * their choice at once).
 */
export class AdaptiveKademlia {
  readonly estimator: NetworkSizeEstimator;
  readonly dynamics: DynamicsAnalyzer;
  readonly #node: KademliaNode;
  readonly #enabled: boolean;
  readonly #thresholds: NetworkThresholds;
  readonly #intervalMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  readonly #unsubscribe: Array<() => void> = [];
  #tier: NetworkTier | undefined;
  /** What the analyses chose: the node's own parameters until one with adaptation enabled changes them. */
  #chosen: KademliaParameters;
  /** Parameters set by hand, which the analyses do not change. */
  #pins: Partial<Record<keyof KademliaParameters, number>> = {};
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #offParameters: () => void;

  constructor(node: KademliaNode, options: AdaptiveKademliaOptions = {}) {
    this.#node = node;
    this.#enabled = options.enabled ?? true;
    this.#thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
    this.#intervalMs = (options.analysisIntervalS ?? 60) * 1000;
    this.#staleAfterMs = (options.staleAfterS ?? 60) * 1000;
    this.#now = options.now ?? runtime.now;
    this.estimator = new NetworkSizeEstimator({ now: this.#now });
    this.dynamics = new DynamicsAnalyzer({ ...options.dynamics, now: this.#now });
    this.#chosen = node.parameters.values;
    this.#offParameters = node.parameters.changed.on((e) => this.#pinOperatorChange(e));
  }

  /** The parameters in force: the pinned ones, and for the others what the analyses chose (or the node's own). */
  get parameters(): KademliaParameters {
    return { ...this.#chosen, ...this.#pins };
  }

  /** The parameters set by hand, which the analyses leave alone. */
  get pinned(): Array<keyof KademliaParameters> {
    return Object.keys(this.#pins) as Array<keyof KademliaParameters>;
  }

  /** An operator set parameters on the node: the analyses leave them alone until unpinned. */
  #pinOperatorChange({ source, set, after }: ParametersChangedEvent): void {
    if (source !== "operator") return;
    for (const name of set) this.#pins[name] = after[name];
  }

  /** Hands pinned parameters (all by default) back to the analyses: their latest choice applies at once. */
  unpin(names: ReadonlyArray<keyof KademliaParameters> = this.pinned): void {
    for (const name of names) delete this.#pins[name];
    this.#enforce();
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
      this.#timer = runtime.setTimeout(tick, this.#intervalMs);
    };
    this.#timer = runtime.setTimeout(tick, runtime.random() * this.#intervalMs);
  }

  /**
   * Stops analysing and following the node's parameter changes; the parameters in force stay. Synchronous: the
   * analysis runs no asynchronous work, so nothing is left to wait for.
   */
  stop(): void {
    runtime.clearTimeout(this.#timer);
    this.#offParameters();
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Same as {@linkcode AdaptiveKademlia.stop}. */
  [Symbol.dispose](): void {
    this.stop();
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
      parameters: this.parameters,
      adaptive: this.#enabled,
      dynamics: this.dynamics.snapshot(table.size),
      routingTable: analyzeRoutingTable(table, this.#staleAfterMs, this.#now),
    };
  }

  #apply(next: KademliaParameters): void {
    this.#chosen = next;
    this.#enforce();
  }

  /** Applies the parameters in force to the node (which announces the ones that changed). */
  #enforce(): void {
    this.#node.parameters.update(this.parameters, "adaptive");
  }
}
