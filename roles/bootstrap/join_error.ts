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

/** Raised when no listed, offered or fallback address admits the joiner; the message names every one and why. */
export class JoinError extends Error {
  override name = "JoinError";
  constructor(readonly attempts: JoinAttempt[], options?: ErrorOptions) {
    const tried = attempts.map((a) =>
      `${formatPeer(a.peer)}${a.tier === undefined ? "" : ` (${a.tier})`} ${a.outcome}${
        a.detail ? `: ${a.detail}` : ""
      }`
    );
    super(`Cannot join the network: ${tried.join("; ") || "no bootstrap address to try"}`, options);
  }
}
