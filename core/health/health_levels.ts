/**
 * Timing and statistics of the health check levels (fast, medium, deep).
 *
 * @module
 */
import type { HealthLevel } from "./registry.ts";

/** Timing of one check level. */
export interface HealthLevelOptions {
  /** Every contact is checked at this level once per interval. */
  intervalS?: number;
  /** Time allowed for one check. */
  timeoutMs?: number;
  /** Most contacts checked per interval (fast checks cover the whole table). */
  perInterval?: number;
}

/** Check counts and times of one level. */
export interface LevelStats {
  checks: number;
  failures: number;
  inconclusive: number;
  /** When the latest check of the level finished, in ms; 0 if none did. */
  lastAtMs: number;
  /** Time all checks of the level took, and the longest one, in ms. */
  totalDurationMs: number;
  maxDurationMs: number;
}

/** The stats of each level before any check. */
export function emptyLevelStats(): Record<HealthLevel, LevelStats> {
  const empty = (): LevelStats => ({
    checks: 0,
    failures: 0,
    inconclusive: 0,
    lastAtMs: 0,
    totalDurationMs: 0,
    maxDurationMs: 0,
  });
  return { fast: empty(), medium: empty(), deep: empty() };
}

/** Default timing of each level. */
export const LEVEL_DEFAULTS: Readonly<Record<HealthLevel, Required<HealthLevelOptions>>> = {
  fast: { intervalS: 30, timeoutMs: 2000, perInterval: Infinity },
  medium: { intervalS: 120, timeoutMs: 5000, perInterval: 8 },
  deep: { intervalS: 600, timeoutMs: 15000, perInterval: 4 },
};

/**
 * Checks a level's timing.
 * @throws {RangeError} when the interval or timeout is not > 0
 */
export function checkTiming(level: HealthLevel, { intervalS, timeoutMs }: HealthLevelOptions): void {
  if (!(intervalS! > 0) || !(timeoutMs! > 0)) {
    throw new RangeError(`Cannot check health: the ${level} interval and timeout must be > 0`);
  }
}
