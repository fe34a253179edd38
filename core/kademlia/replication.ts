import type { Contact } from "./contact.ts";
import type { NodeId } from "./node_id.ts";
import type { Publications } from "./publications.ts";
import type { RecordStore, StoredRecord } from "./records.ts";
import type { RoutingTable } from "./routing_table.ts";
import type { StoredValue } from "./value.ts";
import { runtime } from "../runtime/mod.ts";
import { RecentKeys } from "./recent_keys.ts";

/** What {@linkcode Replication} needs from the node it works for. */
export interface ReplicationHost {
  readonly id: NodeId;
  readonly table: RoutingTable;
  readonly records: RecordStore;
  readonly publications: Publications;
  /** The k closest live contacts to `target`, by an iterative lookup. */
  findNode(target: NodeId, options: ReplicationOptions): Promise<Contact[]>;
  /** An RPC to a known contact (no answer removes it from the routing table). */
  call(contact: Contact, method: string, args: unknown[], options?: ReplicationOptions): Promise<unknown>;
  /** Stores a value this node writes here, unless a limit refuses it. */
  storeHere(key: NodeId, value: StoredValue): boolean;
}

/** The options a replication passes on to the node's lookups and RPCs. */
export interface ReplicationOptions {
  signal?: AbortSignal;
  purpose?: string;
  timeoutMs?: number;
  stallMs?: number;
}

/** Options of {@linkcode Replication}. */
export interface ReplicationLimits {
  /** Hand-overs and loss repairs waiting at once; more are dropped (the writers' republish repairs). @default {64} */
  maxPending?: number;
  /** Records looked at between two pauses of a hand-over. @default {512} */
  sliceRecords?: number;
  /**
   * After each slice the work pauses this many times as long as the slice took: hand-overs use at most
   * 1 / (1 + restFactor) of a core however many new contacts arrive. @default {4}
   */
  restFactor?: number;
  /**
   * Stores of hand-overs and repairs awaiting their answer at once: a receiver gets them no faster than it answers
   * (a burst of hundreds would overflow its socket buffer and lose its other traffic), and a contact that does not
   * answer gets nothing more of the walk. @default {16}
   */
  maxInFlight?: number;
  /**
   * A lost contact's repair runs at most once in this window: a member that keeps coming back and going silent
   * would otherwise have every value it held copied to its neighbours again on each return. @default {600_000}
   */
  lossRepairWindowMs?: number;
}

/** The outcome of a publish: how many of the k closest found took the value. */
export interface PublishResult {
  key: NodeId;
  /** Nodes that confirmed the store. */
  replicas: number;
  /** Nodes asked to store it (the k closest found). */
  asked: number;
}

/** One queued walk over the records: the contacts each record is sent to, and for a hand-over its one receiver. */
interface Job {
  sendTo(record: StoredRecord): readonly Contact[];
  /** The walk ends once this contact fails to answer (nothing else would be sent). */
  only?: Contact;
}

/**
 * Keeps the node's values on the k closest nodes: publishing (and republishing) what this node writes, handing
 * over to a new contact the values it should hold, and giving a copy to the node that takes a lost holder's place.
 * Hand-overs and loss repairs walk every record, so they never run inside a request handler: they go through a
 * bounded queue, walked in slices with pauses, so a flood of new ids costs a bounded share of one core.
 */
export class Replication {
  readonly #host: ReplicationHost;
  readonly #maxPending: number;
  readonly #sliceRecords: number;
  readonly #restFactor: number;
  readonly #maxInFlight: number;
  readonly #lossRepairs: RecentKeys;
  readonly #queue = new Map<string, Job>();
  #draining: Promise<void> | undefined;
  #pause: { timer: ReturnType<typeof setTimeout>; resume: () => void } | undefined;
  #stopped = false;
  /** Hand-overs and loss repairs dropped because the queue was full. */
  dropped = 0;

  constructor(host: ReplicationHost, limits: ReplicationLimits = {}) {
    this.#host = host;
    this.#maxPending = limits.maxPending ?? 64;
    this.#sliceRecords = limits.sliceRecords ?? 512;
    this.#restFactor = limits.restFactor ?? 4;
    this.#maxInFlight = limits.maxInFlight ?? 16;
    this.#lossRepairs = new RecentKeys(limits.lossRepairWindowMs ?? 600_000, 4096);
  }

  /** Hand-overs and loss repairs waiting. */
  get pending(): number {
    return this.#queue.size;
  }

  /** Resolves once the queue is empty. */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /**
   * Stores on the k closest nodes found, and here when this node is closer than the farthest of them or holds a
   * copy already (a cached copy must not answer this node's own reads with the value it replaces).
   */
  async publish(key: NodeId, value: StoredValue, options: ReplicationOptions = {}): Promise<PublishResult> {
    const host = this.#host;
    const closest = await host.findNode(key, options);
    const farthest = closest.at(-1);
    if (
      closest.length < host.table.k || farthest === undefined ||
      host.id.distanceTo(key) < farthest.id.distanceTo(key) || host.records.get(key) !== undefined
    ) {
      host.storeHere(key, value);
    }
    const answers = await Promise.allSettled(
      closest.map((c) => host.call(c, "store", [host.id.bytes, key.bytes, value], options)),
    );
    const replicas = answers.filter((a) => a.status === "fulfilled" && a.value === true).length;
    return { key, replicas, asked: closest.length };
  }

  /** Publishes again the values this node wrote that were last stored `olderThanMs` ago or more; returns how many. */
  async republish(olderThanMs: number, options: Pick<ReplicationOptions, "signal"> = {}): Promise<number> {
    const due = this.#host.publications.dueFor(olderThanMs);
    for (const { key, value } of due) {
      this.#host.publications.published(key, value);
      await this.publish(key, value, { ...options, purpose: "republish" });
    }
    return due.length;
  }

  /**
   * Queues the hand-over to `contact` of the values it should hold: those for which it is among the k closest we
   * know and we are the closest holder (so that only one node sends each value). Fire and forget.
   */
  handOver(contact: Contact): void {
    this.#enqueue(`hand-over ${contact.id.hex}`, {
      sendTo: (record) => this.#shouldHandOver(contact, record.key) ? [contact] : [],
      only: contact,
    });
  }

  /**
   * Queues the repair after `gone` left the routing table: for each value of which this node is the closest holder
   * it knows and `gone` was one of the k closest, the node that takes its place among them gets a copy, so that
   * values keep k replicas as holders die (the writer's republish would restore them only an hour later).
   */
  replicateAfterLoss(gone: Contact): void {
    if (this.#lossRepairs.has(gone.id.hex)) return;
    const queued = this.#enqueue(`loss ${gone.id.hex}`, {
      sendTo: (record) => {
        const { table, id } = this.#host;
        // Most records have a closer holder than this node: known without sorting the table.
        if (table.hasCloser(record.key, id.distanceTo(record.key))) return [];
        const k = table.k;
        const neighbours = table.closest(record.key, k - 1);
        // The k closest are this node and its k - 1 closest neighbours when it is the closest of all.
        if (neighbours.length === 0 || id.distanceTo(record.key) > neighbours[0]!.id.distanceTo(record.key)) return [];
        // With fewer than k - 1 neighbours every one of them should hold a copy, whoever left.
        if (
          neighbours.length === k - 1 && gone.id.distanceTo(record.key) > neighbours[k - 2]!.id.distanceTo(record.key)
        ) {
          return [];
        }
        // Not only the entrant: which neighbours hold a copy is unknown (a write reaches the k closest its writer
        // found, and losses seen before this node became the closest holder went unrepaired), so all get one.
        return neighbours;
      },
    });
    if (queued) this.#lossRepairs.add(gone.id.hex);
  }

  /** Drops what is queued and stops the walk under way. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#queue.clear();
    if (this.#pause !== undefined) {
      runtime.clearTimeout(this.#pause.timer);
      this.#pause.resume();
    }
  }

  /** @returns whether the job is queued (or was already). */
  #enqueue(name: string, job: Job): boolean {
    if (this.#stopped || this.#host.records.size === 0) return false;
    if (this.#queue.has(name)) return true;
    if (this.#queue.size >= this.#maxPending) {
      this.dropped++;
      return false;
    }
    this.#queue.set(name, job);
    this.#draining ??= Promise.resolve().then(() => this.#drain()).finally(() => this.#draining = undefined);
    return true;
  }

  async #drain(): Promise<void> {
    /** Time spent working (not waiting for answers) since the last pause, and records looked at. */
    let [busyMs, inSlice] = [0, 0];
    const rest = async () => {
      await this.#rest(busyMs * this.#restFactor);
      [busyMs, inSlice] = [0, 0];
    };
    for (let next = this.#queue.entries().next(); !next.done; next = this.#queue.entries().next()) {
      const [name, job] = next.value;
      this.#queue.delete(name);
      const sends = new StoreWindow(this.#maxInFlight);
      // Only the records held when the walk began: values stored meanwhile move to the end of the store.
      let left = this.#host.records.size;
      for (const record of this.#host.records.live()) {
        if (this.#stopped || left-- <= 0 || (job.only && sends.silent.has(job.only.id.hex))) break;
        let started = runtime.monotonic();
        for (const contact of job.sendTo(record)) {
          if (sends.full) {
            busyMs += runtime.monotonic() - started;
            await sends.room();
            if (this.#stopped) return;
            started = runtime.monotonic();
          }
          if (sends.silent.has(contact.id.hex)) continue;
          sends.add(contact, this.#host.call(contact, "store", [this.#host.id.bytes, record.key.bytes, record.value]));
        }
        busyMs += runtime.monotonic() - started;
        if (++inSlice >= this.#sliceRecords) await rest();
      }
      await sends.settled();
      if (this.#stopped) return;
      await rest();
    }
  }

  #rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const resume = () => {
        this.#pause = undefined;
        resolve();
      };
      this.#pause = { timer: runtime.setTimeout(resume, ms), resume };
    });
  }

  #shouldHandOver(contact: Contact, key: NodeId): boolean {
    const { table, id } = this.#host;
    // This node must be the closest holder: most records have a closer one, known without sorting the table.
    if (table.hasCloser(key, id.distanceTo(key), contact.id)) return false;
    const neighbours = table.closest(key, table.k, contact.id);
    if (neighbours.length === 0) return true;
    const newIsClose = neighbours.length < table.k ||
      contact.id.distanceTo(key) < neighbours[neighbours.length - 1]!.id.distanceTo(key);
    const selfIsClosest = id.distanceTo(key) < neighbours[0]!.id.distanceTo(key);
    return newIsClose && selfIsClosest;
  }
}

/** The stores of one walk awaiting their answer, at most `max` at once, and the contacts that failed to answer. */
class StoreWindow {
  readonly #max: number;
  readonly #inFlight = new Set<Promise<void>>();
  /** Ids (hex) of the contacts that did not answer a store: the rest of the walk skips them. */
  readonly silent = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  get full(): boolean {
    return this.#inFlight.size >= this.#max;
  }

  add(contact: Contact, answer: Promise<unknown>): void {
    const settled: Promise<void> = answer.then(
      () => {},
      () => void this.silent.add(contact.id.hex),
    ).finally(() => this.#inFlight.delete(settled));
    this.#inFlight.add(settled);
  }

  /** Resolves when one store in flight settles. */
  async room(): Promise<void> {
    await Promise.race(this.#inFlight);
  }

  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }
}
