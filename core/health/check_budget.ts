/**
 * A budget of health-check RPCs per second shared by the nodes of one process. A host process of a thousand nodes
 * whose every node checks its whole routing table each fast interval sends tens of thousands of pings a minute; on a
 * machine short of CPU those checks compete with joins and lookups for the event loop, answers come late, checks
 * fail, failed contacts are checked again: the process spirals into doing nothing but health checks. With a budget a
 * crowded process checks less, not more; a node alone in its process never meets it.
 *
 * @module
 */
import { runtime } from "../runtime/mod.ts";
import type { HealthLevel } from "./registry.ts";

/** RPCs one check of each level sends, about: what it takes from the budget. */
export const CHECK_COST: Readonly<Record<HealthLevel, number>> = { fast: 1, medium: 4, deep: 9 };

/** Options of {@linkcode CheckBudget}. */
export interface CheckBudgetOptions {
  /** Health-check RPCs per second the budget earns back. */
  ratePerS: number;
  /** Most RPCs it allows at once. @default {ratePerS} (one second's worth) */
  burst?: number;
  /**
   * While this says so, no check may run (a host process still joining nodes spends its loop on the joins); the
   * budget earns nothing back meanwhile. @default never
   */
  held?: () => boolean;
  /** Monotonic clock in milliseconds. @default {runtime.monotonic} */
  nowMs?: () => number;
}

/**
 * A token bucket of health-check RPCs, refilled lazily (no timer): each batch of checks takes what it may spend.
 *
 * @example
 * ```ts
 * import { CheckBudget } from "./check_budget.ts";
 * let now = 0;
 * const budget = new CheckBudget({ ratePerS: 10, nowMs: () => now });
 * console.assert(budget.take(15, 1) === 10 && budget.take(1, 1) === 0);
 * now += 500;
 * console.assert(budget.take(15, 1) === 5);
 * ```
 */
export class CheckBudget {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #held: () => boolean;
  #tokens: number;
  #atMs: number;
  /** Checks refused so far (a batch cut short, or skipped). */
  refused = 0;

  /** @throws {RangeError} when the rate is not positive or the burst is under 1 */
  constructor(options: CheckBudgetOptions) {
    if (!(options.ratePerS > 0)) throw new RangeError(`Invalid health-check budget ${options.ratePerS}: expected > 0`);
    const burst = options.burst ?? options.ratePerS;
    if (!(burst >= 1)) throw new RangeError(`Invalid health-check burst ${burst}: expected at least 1`);
    this.#ratePerMs = options.ratePerS / 1000;
    this.#burst = burst;
    this.#now = options.nowMs ?? runtime.monotonic;
    this.#held = options.held ?? (() => false);
    this.#tokens = burst;
    this.#atMs = this.#now();
  }

  /**
   * The part of a batch of `level` checks the budget pays for: none, without even listing the batch (a scan of the
   * routing table), when it cannot pay for one.
   */
  grant<T>(level: HealthLevel, batch: () => T[]): T[] {
    const cost = CHECK_COST[level];
    if (!this.allows(cost)) {
      this.refused++;
      return [];
    }
    const due = batch();
    return due.slice(0, this.take(due.length, cost));
  }

  /** Whether at least one check costing `cost` RPCs may run now. */
  allows(cost: number): boolean {
    this.#refill();
    return this.#tokens >= cost;
  }

  /** Takes the budget of up to `wanted` checks costing `cost` RPCs each; returns how many may run. */
  take(wanted: number, cost: number): number {
    this.#refill();
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.#tokens / cost)));
    this.#tokens -= granted * cost;
    this.refused += wanted - granted;
    return granted;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = this.#held() ? 0 : Math.min(this.#burst, this.#tokens + (now - this.#atMs) * this.#ratePerMs);
    this.#atMs = now;
  }
}
