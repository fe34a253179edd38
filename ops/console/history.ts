/**
 * What the console remembers between refreshes, in memory and bounded: the network's traffic over time (the
 * overview's charts) and each node's state and contacts' health over time (a node page's health history). Samples
 * are taken when the console's data is refreshed, so a console nobody looks at costs nothing.
 */
import type { NodeHealthTuple } from "./summary.ts";
import { latencyOf, type TrafficTotals } from "./traffic.ts";

/** One point of the overview's charts. */
export interface TrafficPoint {
  /** Epoch milliseconds. */
  t: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** RPCs sent per second by all the nodes since the previous point. */
  rpcPerS: number;
  /** RPCs without an answer per second since the previous point. */
  timeoutsPerS: number;
  /** Share of the RPCs since the previous point sent by the adaptive refresh (0..1). */
  refreshOverhead: number;
}

/** One point of a node's health history. */
export interface HealthPoint {
  t: number;
  healthy: number;
  degraded: number;
  unhealthy: number;
  unchecked: number;
}

/** A bounded list that forgets its oldest entries. */
class Ring<T> {
  readonly #items: T[] = [];
  constructor(readonly capacity: number) {}
  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.capacity) this.#items.shift();
  }
  list(): readonly T[] {
    return this.#items;
  }
  last(): T | undefined {
    return this.#items.at(-1);
  }
}

/** The network's traffic over time: a point per refresh at most every `minGapMs`. */
export class TrafficHistory {
  readonly #points: Ring<TrafficPoint>;
  #previous?: { t: number; totals: TrafficTotals };

  constructor(capacity = 180, readonly minGapMs = 1000) {
    this.#points = new Ring(capacity);
  }

  /** Takes the totals seen at `t`; rates are over the time since the previous totals. Too soon: ignored. */
  record(t: number, totals: TrafficTotals): void {
    const previous = this.#previous;
    if (previous !== undefined && t - previous.t < this.minGapMs) return;
    this.#previous = { t, totals };
    if (previous === undefined) return;
    const seconds = (t - previous.t) / 1000;
    // Counters of a restarted process start again from 0: a negative difference means "unknown", shown as 0.
    const sent = Math.max(0, totals.requestsOut - previous.totals.requestsOut);
    const timeouts = Math.max(0, totals.timeouts - previous.totals.timeouts);
    const refresh = Math.max(0, totals.refreshRpcs - previous.totals.refreshRpcs);
    const latency = latencyOf(totals.latency);
    this.#points.push({
      t,
      p50Ms: latency.p50Ms,
      p90Ms: latency.p90Ms,
      p99Ms: latency.p99Ms,
      rpcPerS: round(sent / seconds),
      timeoutsPerS: round(timeouts / seconds),
      refreshOverhead: sent === 0 ? 0 : round(Math.min(1, refresh / sent)),
    });
  }

  points(): readonly TrafficPoint[] {
    return this.#points.list();
  }
}

/** One node's health points in a fixed ring of floats (a 1000-node cluster keeps 120 points each in 2.6 MB). */
class HealthRing {
  static readonly FIELDS = 5;
  readonly #data: Float32Array;
  #count = 0;
  seen = 0;
  constructor(readonly capacity: number) {
    this.#data = new Float32Array(capacity * HealthRing.FIELDS);
  }
  push(values: readonly number[]): void {
    this.#data.set(values, (this.#count++ % this.capacity) * HealthRing.FIELDS);
  }
  /** The points, oldest first; times are seconds since `originMs`. */
  list(originMs: number): HealthPoint[] {
    const kept = Math.min(this.#count, this.capacity);
    return Array.from({ length: kept }, (_, i) => {
      const at = ((this.#count - kept + i) % this.capacity) * HealthRing.FIELDS;
      const [t, healthy, degraded, unhealthy, unchecked] = this.#data.subarray(at, at + HealthRing.FIELDS);
      return {
        t: originMs + t! * 1000,
        healthy: healthy!,
        degraded: degraded!,
        unhealthy: unhealthy!,
        unchecked: unchecked!,
      };
    });
  }
}

/** Each node's health over time, by node name; nodes not seen for `capacity` samples are forgotten. */
export class HealthHistory {
  readonly #nodes = new Map<string, HealthRing>();
  #samples = 0;
  #lastT = -Infinity;
  #originMs?: number;

  constructor(readonly capacity = 120, readonly minGapMs = 1000) {}

  /** Takes the contacts' health of every running node seen at `t`. Too soon after the last: ignored. */
  record(t: number, nodes: Iterable<NodeHealthTuple>): void {
    if (t - this.#lastT < this.minGapMs) return;
    this.#lastT = t;
    this.#originMs ??= t;
    const seconds = (t - this.#originMs) / 1000;
    const sample = ++this.#samples;
    for (const [name, healthy, degraded, unhealthy, unchecked] of nodes) {
      let ring = this.#nodes.get(name);
      if (ring === undefined) this.#nodes.set(name, ring = new HealthRing(this.capacity));
      ring.seen = sample;
      ring.push([seconds, healthy, degraded, unhealthy, unchecked]);
    }
    for (const [name, ring] of this.#nodes) {
      if (sample - ring.seen > this.capacity) this.#nodes.delete(name);
    }
  }

  of(name: string): readonly HealthPoint[] {
    return this.#nodes.get(name)?.list(this.#originMs ?? 0) ?? [];
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
