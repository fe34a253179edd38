import { formatPeer, type Peer } from "../../core/net/mod.ts";
import type { Tier } from "./tier.ts";

/** A join attempt at one address and what came of it. */
export interface JoinAttempt {
  peer: Peer;
  /** The tier the address was listed or offered as, when known. */
  tier?: Tier;
  /**
   * "timeout" with a detail saying so covers a plain DHT node that answers ping but not the join; "unauthenticated"
   * an answer the joiner's trust policy refused (skipped like a dead address).
   */
  outcome: "accepted" | "redirect" | "full" | "timeout" | "error" | "unauthenticated";
  detail?: string;
}

/** How long a join that failed kept trying. */
export interface JoinPasses {
  passes: number;
  seconds: number;
}

/**
 * Raised when no listed, offered or fallback address admits the joiner; the message names every one and why
 * (of the last pass, when the join tried more than once).
 */
export class JoinError extends Error {
  override name = "JoinError";
  constructor(readonly attempts: JoinAttempt[], readonly passes?: JoinPasses, options?: ErrorOptions) {
    const tried = attempts.map((a) =>
      `${formatPeer(a.peer)}${a.tier === undefined ? "" : ` (${a.tier})`} ${a.outcome}${
        a.detail ? `: ${a.detail}` : ""
      }`
    );
    const after = passes === undefined ? "" : ` after ${passes.passes} tries in ${passes.seconds.toFixed(1)} s`;
    super(`Cannot join the network${after}: ${tried.join("; ") || "no bootstrap address to try"}`, options);
  }
}
