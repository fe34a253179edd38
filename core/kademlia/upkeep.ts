import type { RecordStore } from "./records.ts";
import type { Replication } from "./replication.ts";
import { runtime } from "../runtime/mod.ts";

/** What the upkeep works on: a node's stores. */
export interface UpkeepHost {
  readonly records: RecordStore;
  readonly replication: Replication;
  readonly republishIntervalMs: number;
}

/**
 * The periodic upkeep of a node's values: expires them and republishes written values that are due, every
 * `everyMs` from a random first run. (Buckets are refreshed by the refresh manager, core/refresh.)
 */
export class Upkeep {
  readonly #host: UpkeepHost;
  #timer: ReturnType<typeof setTimeout>;
  #running = false;

  constructor(host: UpkeepHost, everyMs: number, warn: (message: string) => void) {
    this.#host = host;
    const tick = () => {
      this.run().catch((e) => warn(`Maintenance failed: ${e.message}`));
      this.#timer = runtime.setTimeout(tick, everyMs);
    };
    // A random first tick: nodes started together (a whole host at once) must not republish in step.
    this.#timer = runtime.setTimeout(tick, runtime.random() * everyMs);
  }

  /** Runs the upkeep now, unless a run is under way. */
  async run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { records, replication } = this.#host;
    try {
      records.expire();
      await replication.republish(this.#host.republishIntervalMs);
    } finally {
      this.#running = false;
    }
  }

  /** Stops the timer; a run under way finishes. */
  stop(): void {
    runtime.clearTimeout(this.#timer);
  }
}
