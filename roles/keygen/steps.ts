import { runtime } from "../../core/runtime/mod.ts";
/** The steps of a key exchange (the 19 steps, then post-processing), each timed and reported as it ends. */

/** The names of the steps, in protocol order: Alice runs 1–11 and 19, Bob 12–19. */
export const STEP = {
  lk: "01 compute lk",
  discover: "02-03 discover workers",
  allocate: "04-06 allocate roles",
  create: "07 create the session",
  dispatch: "08 dispatch role commands",
  aliceData: "09 collect Alice's spins and bases",
  sorting: "10 fix the sorting rule",
  notify: "11 notify Bob",
  bobNotified: "12 Bob receives the notification",
  bobPrepares: "13-14 Bob prepares",
  bobBases: "15 Bob's bases",
  measurements: "16-17 measurements reach Bob",
  sifting: "18 sifting by QPC",
  extract: "19 extract the keys",
  qber: "qber estimation",
  cascade: "cascade",
  amplification: "privacy amplification",
  confirmation: "key confirmation",
} as const;

/** A step that ended, as reported to `onStep`. */
export interface StepEvent {
  side: "alice" | "bob";
  session: string;
  step: string;
  ms: number;
}

/**
 * Times the steps of one side of a session. A step that runs several times (once per round, or once per attempt
 * of a batch) adds up.
 *
 * @example
 * ```ts
 * import { STEP, StepTimer } from "./mod.ts";
 * const timer = new StepTimer("alice", "s1");
 * console.assert(await timer.time(STEP.lk, () => 640) === 640);
 * console.assert(Object.keys(timer.totals()).join() === STEP.lk);
 * ```
 */
export class StepTimer {
  readonly #totals = new Map<string, number>();

  constructor(
    readonly side: "alice" | "bob",
    readonly session: string,
    readonly onStep: (event: StepEvent) => void = () => {},
  ) {}

  /** Runs `work` as `step` and adds its duration (also when it throws). */
  async time<T>(step: string, work: () => T | Promise<T>): Promise<T> {
    const started = runtime.monotonic();
    try {
      return await work();
    } finally {
      this.add(step, runtime.monotonic() - started);
    }
  }

  /** Adds `ms` to `step`. */
  add(step: string, ms: number): void {
    this.#totals.set(step, (this.#totals.get(step) ?? 0) + ms);
    this.onStep({ side: this.side, session: this.session, step, ms });
  }

  /** Milliseconds per step, rounded to 0.1 ms. */
  totals(): Record<string, number> {
    return Object.fromEntries([...this.#totals].map(([step, ms]) => [step, Math.round(ms * 10) / 10]));
  }
}

/** Both sides' step totals in one record, in step order (a step both sides ran adds up). */
export function mergeSteps(...sides: Array<Record<string, number>>): Record<string, number> {
  const merged = new Map<string, number>();
  for (const side of sides) {
    for (const [step, ms] of Object.entries(side)) merged.set(step, (merged.get(step) ?? 0) + ms);
  }
  return Object.fromEntries([...merged].sort(([a], [b]) => a.localeCompare(b)));
}
