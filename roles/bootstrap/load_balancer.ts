/** The bootstrap load balancer: which bootstrap nodes a joiner should use, best first. */
import type { BootstrapInfo } from "./info.ts";
import { type Tier, tierDistance, TIERS } from "./tier.ts";

/** A bootstrap node as the load balancer sees it. */
export interface Candidate {
  info: BootstrapInfo;
  /** Heard from recently enough (dead nodes are never handed out). */
  alive: boolean;
  /** Joiners handed this node since its load was last reported, who may not have arrived yet. */
  promised: number;
}

/** Joiner slots a candidate can still offer: capacity − load − promised. */
export function spareCapacity(candidate: Candidate): number {
  return candidate.info.capacity - candidate.info.load - candidate.promised;
}

/**
 * Ranks candidates for a joiner whose home tier is `home`: the home tier first, then the other tiers nearest to
 * it (on a tie the one nearer the root, which has more room); within a tier by spare capacity, most first. Dead
 * nodes and nodes without spare capacity are left out, and each node id appears once (its first occurrence).
 *
 * @param count at most this many are returned
 */
export function rankCandidates(candidates: Iterable<Candidate>, home: Tier, count = Infinity): BootstrapInfo[] {
  const seen = new Set<string>();
  const usable: Array<{ candidate: Candidate; spare: number; order: number }> = [];
  for (const candidate of candidates) {
    if (seen.has(candidate.info.id)) continue;
    seen.add(candidate.info.id);
    const spare = spareCapacity(candidate);
    if (!candidate.alive || spare <= 0) continue;
    const tier = candidate.info.tier;
    usable.push({ candidate, spare, order: tierDistance(home, tier) * TIERS.length + TIERS.indexOf(tier) });
  }
  usable.sort((a, b) => a.order - b.order || b.spare - a.spare || (a.candidate.info.id < b.candidate.info.id ? -1 : 1));
  return usable.slice(0, count).map((u) => u.candidate.info);
}
