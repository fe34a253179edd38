import type { Settings } from "../../core/config/mod.ts";
import type { Peer } from "../../core/net/mod.ts";

/** The targets of `cqkd diagnose`. */
export const DIAGNOSE_TARGETS = ["network", "routing-table", "health-check", "performance", "ports"] as const;
export type DiagnoseTarget = typeof DIAGNOSE_TARGETS[number];

/** What every diagnosis is given. */
export interface DiagnoseOptions {
  settings: Settings;
  /** A node to diagnose over UDP; without one, the running local cluster. */
  node?: Peer;
  signal?: AbortSignal;
}

/** Smallest, median and largest of some numbers (all 0 when there are none). */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** The {@linkcode Spread} of `values`. */
export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Seconds or milliseconds for a table cell: one decimal, "-" when unknown. */
export function cell(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? "-" : value.toFixed(digits);
}

/** `min a / median b / max c`. */
export function spreadText({ min, median, max }: Spread, unit = ""): string {
  return `min ${min}${unit} / median ${median}${unit} / max ${max}${unit}`;
}

/** A line naming the host processes that did not answer, if any. */
export function unreachableLine(hosts: readonly string[]): string[] {
  return hosts.length === 0 ? [] : [`Host processes that did not answer: ${hosts.join(", ")}`];
}
