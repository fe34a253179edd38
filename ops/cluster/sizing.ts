/**
 * How many bootstrap nodes of each tier, and how many host processes, a local cluster of N workers needs: every
 * joiner needs a slot on a bootstrap node of the tier above it, so each tier is sized from what hangs under it and
 * the tiers' capacities.
 *
 * @module
 */
import { DEFAULT_CAPACITY, type Tier } from "../../roles/bootstrap/mod.ts";

/** Bootstrap nodes per tier. */
export interface TierCounts {
  superCount: number;
  regionalCount: number;
  localCount: number;
}

/** Never fewer bootstrap nodes than the reference hierarchy: 4 super → 16 regional → 64 local. */
export const MIN_TIERS: Readonly<TierCounts> = { superCount: 4, regionalCount: 16, localCount: 64 };

/** What to size: the workers, and any tier count the user fixed (undefined: sized from the work). */
export interface TierRequest {
  workers: number;
  superCount?: number;
  regionalCount?: number;
  localCount?: number;
}

/** Thrown when tier counts the user fixed cannot hold what hangs under them. */
export class TierSizeError extends RangeError {
  override name = "TierSizeError";
}

const FLAG: Record<Tier, string> = { super: "--super", regional: "--regional", local: "--local" };
const COUNT_KEY: Record<Tier, keyof TierCounts> = {
  super: "superCount",
  regional: "regionalCount",
  local: "localCount",
};

/**
 * Sizes the tiers bottom up: locals hold the workers, regionals hold the locals plus Alice and Bob, supers hold
 * the regionals and the other supers. A tier left undefined gets what it must hold, but never less than
 * `minimum`; a tier the user fixed is checked instead. When a tier is fixed at 0, what it would hold goes to the
 * next tier up.
 * @throws {TierSizeError} naming the numbers when a fixed tier cannot hold what hangs under it, e.g.
 *   "10000 workers need 200 local bootstrap nodes at 50 each; --local 64 holds 3200"
 */
export function sizeTiers(
  request: TierRequest,
  capacity: Readonly<Record<Tier, number>> = DEFAULT_CAPACITY,
  minimum: Readonly<TierCounts> = MIN_TIERS,
): TierCounts {
  const counts: TierCounts = { superCount: 0, regionalCount: 0, localCount: 0 };
  // What is still looking for a slot, as the tiers are sized from the bottom up.
  let pending = [{ what: "workers", n: request.workers }];
  for (const tier of ["local", "regional", "super"] as const) {
    const key = COUNT_KEY[tier];
    if (tier === "regional") pending.push({ what: "Alice and Bob", n: 2 });
    const load = pending.reduce((sum, p) => sum + p.n, 0);
    const need = Math.ceil(load / capacity[tier]);
    const fixed = request[key];
    if (fixed === 0 && tier !== "super") continue; // the tier above holds them
    if (fixed !== undefined && fixed < need) {
      const what = pending.map((p) => `${p.n} ${p.what}`).join(" and ");
      throw new TierSizeError(
        `${what} need ${need} ${tier} bootstrap nodes at ${capacity[tier]} each; ` +
          `${FLAG[tier]} ${fixed} holds ${fixed * capacity[tier]}`,
      );
    }
    counts[key] = fixed ?? Math.max(minimum[key], need);
    const joiners = tier === "super" ? counts[key] - 1 : counts[key]; // the first super joins no one
    pending = [{ what: `${tier} bootstrap nodes`, n: joiners }];
  }
  return counts;
}

/** Bootstrap nodes one host process serves at most: more processes share the answering of joins. */
export const BOOTSTRAP_NODES_PER_HOST = 64;

/** Host processes that serve `bootstrapNodes` bootstrap nodes between them. */
export function bootstrapHostCount(bootstrapNodes: number): number {
  return Math.max(1, Math.ceil(bootstrapNodes / BOOTSTRAP_NODES_PER_HOST));
}

/** Worker host processes a cluster runs at most by default: each costs tens of MB before it runs a node. */
export const MAX_DEFAULT_WORKER_HOSTS = 8;

/** The default workers per host: 250, or more so that no more than {@linkcode MAX_DEFAULT_WORKER_HOSTS} run. */
export function defaultWorkersPerHost(workers: number): number {
  return Math.max(250, Math.ceil(workers / MAX_DEFAULT_WORKER_HOSTS));
}
