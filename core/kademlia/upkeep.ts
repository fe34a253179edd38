import type { Contact } from "./contact.ts";
import { NodeId } from "./node_id.ts";
import type { OperationOptions } from "./node_options.ts";
import type { RecordStore } from "./records.ts";
import type { Replication } from "./replication.ts";
import type { RoutingTable } from "./routing_table.ts";
import { runtime } from "../runtime/mod.ts";

/** What the upkeep works on: a node's stores, its table, and its lookups. */
export interface UpkeepHost {
  readonly records: RecordStore;
  readonly table: RoutingTable;
  readonly replication: Replication;
  findNode(target: NodeId, options: OperationOptions): Promise<Contact[]>;
  /** Buckets without traffic for this long are refreshed (read at each run: it changes live). */
  refreshIntervalMs(): number;
  readonly republishIntervalMs: number;
}

/**
 * The periodic upkeep of a node: expires values, refreshes buckets idle for the refresh interval and republishes
 * written values that are due, every `everyMs` from a random first run.
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
    // A random first tick: nodes started together (a whole host at once) must not refresh and republish in step.
    this.#timer = runtime.setTimeout(tick, runtime.random() * everyMs);
  }

  /** Runs the upkeep now, unless a run is under way. */
  async run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { records, table, replication } = this.#host;
    try {
      records.expire();
      for (const [lo, hi] of table.staleRanges(this.#host.refreshIntervalMs())) {
        const target = NodeId.randomInRange(lo, hi);
        table.touchRange(target);
        await this.#host.findNode(target, { purpose: "refresh" });
      }
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
