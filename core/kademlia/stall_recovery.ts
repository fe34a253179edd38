import { runtime } from "../runtime/mod.ts";

/** Runs an announcement now or later (a concurrency limiter such as p-limit's). */
export type AnnouncementLimiter = (announce: () => Promise<unknown>) => Promise<unknown>;

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

  /** The recovery a node's liveness policy asks for (through its limiter), or undefined when it asks for none. */
  static of(
    options: { liveness?: { announceAfterStallMs?: number }; stallAnnouncements?: AnnouncementLimiter },
    announce: () => Promise<unknown>,
  ): StallRecovery | undefined {
    const afterStallMs = options.liveness?.announceAfterStallMs;
    return afterStallMs === undefined
      ? undefined
      : new StallRecovery(afterStallMs, announce, options.stallAnnouncements);
  }

  /**
   * @param afterStallMs the shortest stall that makes the node announce itself
   * @param through runs the announcement: a limiter shared by the nodes of one process, which stall together
   */
  constructor(
    readonly afterStallMs: number,
    readonly announce: () => Promise<unknown>,
    readonly through: AnnouncementLimiter = (run) => run(),
  ) {}

  /** This process was stalled `lateMs` milliseconds. */
  stalled(lateMs: number): void {
    const now = runtime.monotonic();
    if (lateMs < this.afterStallMs || now - this.#announcedAt < ANNOUNCE_INTERVAL_MS) return;
    this.#announcedAt = now;
    this.through(this.announce).catch(() => {});
  }
}
