import type { DynamicsLevel } from "../adaptive/mod.ts";
import { LossWindow } from "../health/mod.ts";
import {
  type KademliaNode,
  NodeId,
  type OperationOptions,
  type ParametersChangedEvent,
  type TableChange,
} from "../kademlia/mod.ts";
import { PerformanceMonitor, type PerformanceMonitorOptions, type PerformanceSnapshot } from "./performance_monitor.ts";
import { runtime } from "../runtime/mod.ts";

/** How often idle buckets are refreshed, chosen from the network dynamics. */
export type RefreshStrategy = "active" | "normal" | "maintenance";

/** Why buckets were refreshed. */
export type RefreshTrigger = "event" | "partition" | "performance" | "scheduled";

/** Options of {@linkcode RefreshManager}. */
export interface RefreshManagerOptions {
  /** The network dynamics in force (from the dynamics analyzer). @default always "medium" */
  dynamics?: () => DynamicsLevel;
  /**
   * Adapt: follow the dynamics and lookup performance, and refresh on lost contacts and partitions. When false, only
   * buckets idle for the node's refresh interval are refreshed (`enable_adaptive_refresh: false`). @default {true}
   */
  adaptive?: boolean;
  /** Refresh the bucket of a failed contact at once. @default {true} */
  immediate?: boolean;
  /**
   * A random key of the bucket covering ids `lo` (inclusive) to `hi` (exclusive), which an idle refresh looks up.
   * @default {NodeId.randomInRange}
   */
  generateKey?: (lo: bigint, hi: bigint) => NodeId;
  /** The lookup an idle bucket is refreshed with. @default the node's `findNode` */
  query?: (target: NodeId, options: OperationOptions) => Promise<unknown>;
  /** Shortest refresh interval, and least time between two event refreshes of one bucket. @default {15} */
  activeMinIntervalS?: number;
  /** Longest refresh interval (the maintenance strategy). @default {600} */
  stableMaxIntervalS?: number;
  /** Time between re-evaluations of the strategy. @default {300} */
  optimizationIntervalS?: number;
  /** A partition is suspected when the table lost this share of its contacts within `activeMinIntervalS`. @default {0.5} */
  partitionLossShare?: number;
  performance?: PerformanceMonitorOptions;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** The intervals of the adaptive refresh that are not chosen from the dynamics (`cqkd tune refresh`), in seconds. */
export interface RefreshTiming {
  /** Shortest refresh interval, and least time between two event refreshes of one bucket. */
  activeMinIntervalS: number;
  /** Longest refresh interval (the maintenance strategy). */
  stableMaxIntervalS: number;
  /** Time between re-evaluations of the strategy. */
  optimizationIntervalS: number;
}

/** Refresh figures of one node: what ran, why, and what it cost. */
export interface RefreshSummary {
  strategy: RefreshStrategy;
  /** Interval of the refresh of idle buckets. */
  intervalS: number;
  /** Interval of the active rounds, when the strategy is active. */
  activeIntervalS: number;
  /** Bucket refreshes by trigger. */
  refreshes: Record<RefreshTrigger, number>;
  /** Requests tagged "refresh" and all requests this node sent. */
  refreshRpcs: number;
  totalRpcs: number;
  /** refreshRpcs / totalRpcs (0..1). */
  overhead: number;
  performance: PerformanceSnapshot;
}

/**
 * The adaptive refresh. Triggers: a contact that fails (leaves the table with no replacement) gets its
 * bucket refreshed at once, at most once per `activeMinIntervalS` per bucket (later ones wait for the next tick);
 * a suspected partition (half the table lost at once) refreshes every bucket; lookups that become slow or fail
 * more than their baseline force the active strategy. The strategy follows the dynamics, re-evaluated every
 * optimization interval: high → active (every active interval — a quarter of the normal interval, 15–60 s — the
 * buckets that lost contacts since their last refresh are refreshed), medium → normal (idle buckets are refreshed
 * every normal interval, the node's `parameters.refreshIntervalS`), low → maintenance (idle buckets every
 * `stableMaxIntervalS`).
 *
 * The manager owns the refresh loop: each tick it also looks up a key of every bucket idle for the interval in force
 * ({@linkcode refreshIdle}, with the injected `generateKey` and `query`). Event, partition and active refreshes are
 * probes (one find_node to the closest known contact of a random id of the range,
 * {@linkcode KademliaNode.refreshBucket}). All of it is tagged "refresh", so that its share of the node's traffic is
 * measured.
 */
export class RefreshManager {
  readonly refreshes: Record<RefreshTrigger, number> = { event: 0, partition: 0, performance: 0, scheduled: 0 };
  readonly performance: PerformanceMonitor;
  readonly #node: KademliaNode;
  readonly #dynamics: () => DynamicsLevel;
  readonly #immediate: boolean;
  readonly #adaptive: boolean;
  readonly #generateKey: (lo: bigint, hi: bigint) => NodeId;
  readonly #query: (target: NodeId, options: OperationOptions) => Promise<unknown>;
  /** The refresh of idle buckets under way, if any. */
  #idle: Promise<number> | undefined;
  #activeMinMs: number;
  #stableMaxS: number;
  #optimizationMs: number;
  /** The timing the manager was created with, which {@linkcode resetTiming} restores. */
  readonly configuredTiming: RefreshTiming;
  readonly #losses: LossWindow;
  readonly #now: () => number;
  /** Last refresh of each bucket by this manager, by the low end of its range. */
  readonly #refreshedMs = new Map<bigint, number>();
  /** Buckets that lost a contact and wait for a refresh: an id in each, by the low end of its range. */
  readonly #waiting = new Map<bigint, NodeId>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #unsubscribe: Array<() => void> = [];
  #strategy: RefreshStrategy = "normal";
  #forcedActive = false;
  #lastPartitionMs = -Infinity;
  #lastActiveMs = -Infinity;
  #lastOptimizationMs = -Infinity;
  #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(node: KademliaNode, options: RefreshManagerOptions = {}) {
    this.#node = node;
    this.#dynamics = options.dynamics ?? (() => "medium");
    this.#immediate = options.immediate ?? true;
    this.#adaptive = options.adaptive ?? true;
    this.#generateKey = options.generateKey ?? NodeId.randomInRange;
    this.#query = options.query ?? ((target, operation) => node.findNode(target, operation));
    this.#activeMinMs = (options.activeMinIntervalS ?? 15) * 1000;
    this.#stableMaxS = options.stableMaxIntervalS ?? 600;
    this.#optimizationMs = (options.optimizationIntervalS ?? 300) * 1000;
    checkTiming(this.timing);
    this.configuredTiming = this.timing;
    this.#now = options.now ?? runtime.now;
    this.#losses = new LossWindow({ windowMs: this.#activeMinMs, share: options.partitionLossShare, now: this.#now });
    this.performance = new PerformanceMonitor(options.performance);
  }

  /** The strategy in force. */
  get strategy(): RefreshStrategy {
    return this.#strategy;
  }

  /** The refresh interval of idle buckets in force. */
  get intervalS(): number {
    if (!this.#adaptive) return this.#baseIntervalS;
    if (this.#strategy === "maintenance") return this.#stableMaxS;
    return clamp(this.#baseIntervalS, this.#activeMinMs / 1000, this.#stableMaxS);
  }

  /** The normal interval: the node's refresh interval parameter (adaptive, or tuned). */
  get #baseIntervalS(): number {
    return this.#node.parameters.refreshIntervalS;
  }

  /** The interval of the active rounds: a quarter of the normal interval, within 15–60 s. */
  get activeIntervalS(): number {
    const activeMinS = this.#activeMinMs / 1000;
    return clamp(this.#baseIntervalS / 4, activeMinS, Math.max(activeMinS, 60));
  }

  /** The intervals in force that do not follow the dynamics. */
  get timing(): RefreshTiming {
    return {
      activeMinIntervalS: this.#activeMinMs / 1000,
      stableMaxIntervalS: this.#stableMaxS,
      optimizationIntervalS: this.#optimizationMs / 1000,
    };
  }

  /**
   * Changes those intervals live (`cqkd tune refresh`): the interval in force follows at once, and a running
   * manager ticks at the new shortest interval from now on. The partition window keeps the shortest interval the
   * manager was created with.
   * @throws {RangeError} when an interval is not > 0 or the shortest passes the longest; nothing changes then
   */
  configure(timing: Partial<RefreshTiming>): void {
    const next = { ...this.timing, ...timing };
    checkTiming(next);
    this.#activeMinMs = next.activeMinIntervalS * 1000;
    this.#stableMaxS = next.stableMaxIntervalS;
    this.#optimizationMs = next.optimizationIntervalS * 1000;
    if (this.#timer === undefined) return;
    runtime.clearTimeout(this.#timer);
    this.#scheduleTick(this.#activeMinMs);
  }

  /** Restores the timing the manager was created with. */
  resetTiming(): void {
    this.configure(this.configuredTiming);
  }

  /** Starts listening to the node and ticking every `activeMinIntervalS` at a random phase. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#abort = new AbortController();
    this.#unsubscribe.push(
      this.#node.events.lookup.on((e) => {
        if (e.purpose === "refresh") this.refreshes.scheduled++;
        this.performance.record(e.durationMs, e.queried, e.failed);
      }),
      this.#node.parameters.changed.on((e) => this.#onParameters(e)),
    );
    if (this.#adaptive) this.#unsubscribe.push(this.#node.table.changes.on((change) => this.#onChange(change)));
    this.optimize();
    this.#scheduleTick(runtime.random() * this.#activeMinMs);
  }

  /** Stops listening and ticking, and waits for refreshes in flight to give up. */
  async stop(): Promise<void> {
    runtime.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#abort.abort(new Error("Refresh stopped"));
    await Promise.allSettled([...this.#running]);
  }

  /**
   * Looks up a generated key of every bucket idle for the interval in force, one after the other (a run under way
   * is joined, not doubled). Resolves with how many buckets it refreshed.
   */
  refreshIdle(options: Pick<OperationOptions, "signal"> = {}): Promise<number> {
    if (this.#idle !== undefined) return this.#idle;
    const run = this.#refreshIdleNow(options).finally(() => {
      if (this.#idle === run) this.#idle = undefined;
    });
    return this.#idle = run;
  }

  async #refreshIdleNow({ signal }: Pick<OperationOptions, "signal">): Promise<number> {
    const table = this.#node.table;
    let refreshed = 0;
    for (const [lo, hi] of table.staleRanges(this.intervalS * 1000)) {
      signal?.throwIfAborted();
      const target = this.#generateKey(lo, hi);
      table.touchRange(target);
      refreshed++;
      await this.#query(target, { purpose: "refresh", ...(signal ? { signal } : {}) });
    }
    return refreshed;
  }

  /** Stops, as {@linkcode stop} does: `await using` a manager stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Re-evaluates the strategy from the dynamics and the lookup performance, and so the interval in force. */
  optimize(): RefreshStrategy {
    this.#lastOptimizationMs = this.#now();
    this.#forcedActive &&= this.performance.degraded;
    const level = this.#dynamics();
    this.#strategy = this.#forcedActive || level === "high" ? "active" : level === "low" ? "maintenance" : "normal";
    return this.#strategy;
  }

  /** What the refresh did and cost so far. */
  summary(): RefreshSummary {
    const stats = this.#node.transport.stats;
    const refreshRpcs = stats.requestsByPurpose.refresh ?? 0;
    return {
      strategy: this.#strategy,
      intervalS: this.intervalS,
      activeIntervalS: this.activeIntervalS,
      refreshes: { ...this.refreshes },
      refreshRpcs,
      totalRpcs: stats.requestsOut,
      overhead: stats.requestsOut === 0 ? 0 : refreshRpcs / stats.requestsOut,
      performance: this.performance.snapshot(),
    };
  }

  #scheduleTick(delayMs: number): void {
    this.#timer = runtime.setTimeout(() => {
      this.#tick();
      this.#scheduleTick(this.#activeMinMs);
    }, delayMs);
  }

  /**
   * Part of the network that was out of reach answers again (a contact lost to failures came back): every bucket is
   * refreshed, to learn again the contacts lost meanwhile, and the node's own values are stored again, since the
   * nodes now closest to them may be across the former cut; at most once per `activeMinIntervalS`.
   */
  healed(): void {
    if (this.#partitionRefresh()) this.#background(this.#node.republish({ signal: this.#abort.signal }));
  }

  /** A new normal interval: buckets idle for the interval it leads to are refreshed now, not a tick later. */
  #onParameters({ changed }: ParametersChangedEvent): void {
    if (changed.includes("refreshIntervalS")) this.#background(this.refreshIdle({ signal: this.#abort.signal }));
  }

  #onChange(change: TableChange): void {
    if (change.kind !== "removed" || change.promoted !== undefined) return;
    this.#losses.record();
    if (this.#losses.suspected(this.#node.table.size) && this.#partitionRefresh()) return;
    const id = change.contact.id;
    const { lo } = this.#node.table.bucketOf(id);
    this.#waiting.set(lo, id);
    if (this.#immediate) this.#serve(lo, id, "event");
  }

  #tick(): void {
    const now = this.#now();
    this.#background(this.refreshIdle({ signal: this.#abort.signal }));
    if (!this.#adaptive) return;
    if (now - this.#lastOptimizationMs >= this.#optimizationMs) this.optimize();
    if (!this.#forcedActive && this.performance.degraded) {
      this.#forcedActive = true;
      this.optimize();
      this.#activeRound("performance", true);
    } else if (this.#strategy === "active" && now - this.#lastActiveMs >= this.activeIntervalS * 1000) {
      this.#activeRound("scheduled", false);
    } else {
      this.#serveWaiting(this.#immediate ? "event" : "scheduled");
    }
  }

  /** The active round: the buckets that lost contacts (or, when performance degraded, every bucket). */
  #activeRound(trigger: RefreshTrigger, all: boolean): void {
    this.#lastActiveMs = this.#now();
    if (all) { for (const { lo } of this.#node.table.buckets()) this.#waiting.set(lo, NodeId.fromValue(lo)); }
    this.#serveWaiting(trigger);
  }

  /** Serves every waiting bucket (at most one entry per bucket, so this is cheap). */
  #serveWaiting(trigger: RefreshTrigger): void {
    for (const [lo, id] of this.#waiting) this.#serve(lo, id, trigger);
  }

  /**
   * Refreshes the waiting bucket at `lo` unless this manager refreshed it within `activeMinIntervalS`: then it
   * waits for a later tick. (A bucket that split since is looked up again by its id.)
   */
  #serve(key: bigint, id: NodeId, trigger: RefreshTrigger): void {
    const { lo } = this.#node.table.bucketOf(id);
    if (this.#now() - (this.#refreshedMs.get(lo) ?? -Infinity) < this.#activeMinMs) return;
    this.#waiting.delete(key);
    this.#refresh(id, lo, trigger);
  }

  /** Refreshes every bucket unless that was done within `activeMinIntervalS`; returns whether it did. */
  #partitionRefresh(): boolean {
    const now = this.#now();
    if (now - this.#lastPartitionMs < this.#activeMinMs) return false;
    this.#lastPartitionMs = now;
    this.#refreshAll("partition");
    return true;
  }

  #refreshAll(trigger: RefreshTrigger): void {
    this.#waiting.clear();
    for (const { lo } of this.#node.table.buckets()) this.#refresh(NodeId.fromValue(lo), lo, trigger);
  }

  #refresh(id: NodeId, lo: bigint, trigger: RefreshTrigger): void {
    this.#refreshedMs.set(lo, this.#now());
    this.refreshes[trigger]++;
    this.#background(this.#node.refreshBucket(id, { signal: this.#abort.signal }));
  }

  /** Runs `task` in the background; stop() waits for it. */
  #background(task: Promise<unknown>): void {
    const tracked = task.catch(() => {}).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }
}

function checkTiming(timing: RefreshTiming): void {
  for (const [name, seconds] of Object.entries(timing)) {
    if (!(seconds > 0) || !Number.isFinite(seconds)) {
      throw new RangeError(`Cannot refresh with ${name} ${seconds}: expected seconds > 0`);
    }
  }
  if (timing.activeMinIntervalS > timing.stableMaxIntervalS) {
    throw new RangeError(
      `Cannot refresh with activeMinIntervalS ${timing.activeMinIntervalS} above stableMaxIntervalS ` +
        `${timing.stableMaxIntervalS}`,
    );
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
