import { runtime } from "../runtime/mod.ts";

/** At most one announcement this often, however often the process stalls. */
export const ANNOUNCE_INTERVAL_MS = 30_000;

/**
 * After this node's process stalled (its own request timers fired late), it looks up its own id: the nodes closest
 * to it hear from it and take it back, since their health checks may have dropped it while it could not answer.
 * Only for nodes whose liveness policy asks for it (health checks); bare nodes follow the paper. Without it, a node
 * frozen just before a lookup of it stays unknown to its neighbours until it next writes to them
 * (docs/simulation.md, "Stalled hosts").
 */
export class StallRecovery {
  #announcedAt = -Infinity;

  /** The recovery a liveness policy asks for, or undefined when it asks for none. */
  static of(liveness: { announceAfterStallMs?: number } | undefined, announce: () => Promise<unknown>) {
    const afterStallMs = liveness?.announceAfterStallMs;
    return afterStallMs === undefined ? undefined : new StallRecovery(afterStallMs, announce);
  }

  /** @param afterStallMs the shortest stall that makes the node announce itself */
  constructor(readonly afterStallMs: number, readonly announce: () => Promise<unknown>) {}

  /** This process was stalled `lateMs` milliseconds. */
  stalled(lateMs: number): void {
    const now = runtime.monotonic();
    if (lateMs < this.afterStallMs || now - this.#announcedAt < ANNOUNCE_INTERVAL_MS) return;
    this.#announcedAt = now;
    this.announce().catch(() => {});
  }
}
