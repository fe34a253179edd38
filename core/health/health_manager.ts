import { type Contact, Emitter, type KademliaNode } from "../kademlia/mod.ts";
import type { CheckBudget } from "./check_budget.ts";
import { HealthCheckFailure, runCheck } from "./checks.ts";
import {
  checkTiming,
  emptyLevelStats,
  type HealthLevelOptions,
  LEVEL_DEFAULTS,
  type LevelStats,
} from "./health_levels.ts";
import { LivenessPolicy, livenessPolicyFor } from "./liveness_policy.ts";
import {
  type CheckResult,
  HEALTH_LEVELS,
  type HealthLevel,
  type HealthRegistry,
  type HealthRegistryOptions,
  type HealthStatus,
} from "./registry.ts";
import { runtime } from "../runtime/mod.ts";

/** Options of {@linkcode HealthManager}. */
export interface HealthManagerOptions {
  /** Levels to run. @default {["fast", "medium", "deep"]} */
  levels?: readonly HealthLevel[];
  /** @default {{ intervalS: 30, timeoutMs: 2000 }} */
  fast?: HealthLevelOptions;
  /** @default {{ intervalS: 120, timeoutMs: 5000, perInterval: 8 }} */
  medium?: HealthLevelOptions;
  /** @default {{ intervalS: 600, timeoutMs: 15000, perInterval: 4 }} */
  deep?: HealthLevelOptions;
  /** Each interval is served in this many batches, spread evenly over it. @default {10} */
  slices?: number;
  /**
   * A contact found dead is kept out of the routing table this long when other nodes name it (it may come back
   * by contacting us). @default two fast intervals
   */
  quarantineS?: number;
  /**
   * When fast checks have removed this share of the table within one fast interval, a partition (or this host
   * stalling) is suspected: failing contacts are marked unhealthy but kept, as the Kademlia paper advises.
   * @default {0.5}
   */
  partitionLossShare?: number;
  registry?: HealthRegistryOptions;
  /**
   * Who is suspect, removed or quarantined. @default the node's own {@linkcode KademliaNode.liveness} when it is a
   * {@linkcode LivenessPolicy} (`KademliaNode.start({ liveness: livenessPolicyFor(options) })`), else one built from
   * these options, which only the checks consult (the node then follows the paper's rules)
   */
  liveness?: LivenessPolicy;
  /** Health-check RPCs shared with the other nodes of the process: what it cannot pay for stays due. @default none */
  budget?: CheckBudget;
  /** Clock in milliseconds. @default {Date.now} */
  now?: () => number;
}

/** A check that finished, as reported on {@linkcode HealthManager.checked}. */
export interface CheckedEvent {
  readonly contact: Contact;
  readonly result: CheckResult;
  readonly status: HealthStatus;
}

/** Health of the routing table's contacts, by status; "unchecked" ones were neither checked nor heard from. */
export type HealthCounts = Record<HealthStatus | "unchecked", number>;

/**
 * The health manager: checks the contacts of a node's routing table at the fast, medium and deep levels,
 * records the results in a {@linkcode HealthRegistry}, removes a contact that fails a fast check (a contact heard
 * from before: and its confirmation a batch later) from the routing table, which triggers the refresh of its
 * bucket, and reports every check on {@linkcode checked}. An RPC of the node's own that got no answer counts as a
 * failed fast check too — as a first one, to be confirmed, for a contact heard from within the fast interval, which
 * stays in the table meanwhile (a process short of CPU misses live contacts' answers). A contact found dead is not
 * re-admitted when slower nodes still name it, for `quarantineS`. When half the table failed within one fast
 * interval, failing contacts are kept (a partition or a stalled host must not empty the table).
 *
 * Cost: one timer per node at a random phase; each level's interval is served in `slices` batches of at most
 * 1/slices of its contacts, so a 1000-contact table never pings in a burst; a contact heard from within the fast
 * interval (a request, an answer) needs no fast check at all.
 */
export class HealthManager {
  readonly registry: HealthRegistry;
  readonly checked: Emitter<CheckedEvent> = new Emitter();
  /**
   * A contact that fast checks had removed answers again: the network it belongs to is reachable once more (a
   * partition healed, a host came back), which the adaptive refresh takes as its cue to refresh every bucket.
   */
  readonly revived: Emitter<Contact> = new Emitter();
  /** Checks run, failed and inconclusive (not recorded: this process stalled), by level. */
  readonly stats: Record<HealthLevel, LevelStats> = emptyLevelStats();
  readonly #node: KademliaNode;
  readonly #levels: readonly HealthLevel[];
  readonly #options: Record<HealthLevel, Required<HealthLevelOptions>>;
  /** The timing the manager was created with, which {@linkcode resetTiming} restores. */
  readonly #configured: Readonly<Record<HealthLevel, Required<HealthLevelOptions>>>;
  readonly #slices: number;
  /** Who is suspect, removed or quarantined; the manager runs the checks and acts on its word. */
  readonly #liveness: LivenessPolicy;
  readonly #budget: CheckBudget | undefined;
  readonly #now: () => number;
  readonly #inFlight = new Set<string>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #nextMs: Partial<Record<HealthLevel, number>> = {};
  /** Levels whose last scheduled batch is still running. */
  readonly #batchRunning = new Set<HealthLevel>();
  /** When the last contact lost to failures was checked again. */
  #lastRevivalMs = -Infinity;
  #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(node: KademliaNode, options: HealthManagerOptions = {}) {
    this.#node = node;
    this.#levels = options.levels ?? HEALTH_LEVELS;
    this.#options = {
      fast: { ...LEVEL_DEFAULTS.fast, ...options.fast },
      medium: { ...LEVEL_DEFAULTS.medium, ...options.medium },
      deep: { ...LEVEL_DEFAULTS.deep, ...options.deep },
    };
    for (const level of HEALTH_LEVELS) checkTiming(level, this.#options[level]);
    this.#configured = structuredClone(this.#options);
    this.#slices = options.slices ?? 10;
    this.#now = options.now ?? runtime.now;
    this.#liveness = options.liveness ??
      (node.liveness instanceof LivenessPolicy ? node.liveness : livenessPolicyFor({ ...options, now: this.#now }));
    this.registry = this.#liveness.registry;
    this.#budget = options.budget;
  }

  /** Starts the periodic checks, each level at a random point of its first slice. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#abort = new AbortController();
    this.#unsubscribe.push(
      this.#node.events.rpcFailure.on(({ contact, method, error }) => {
        if (this.#node.table.get(contact.id) === undefined) {
          this.#observed(contact, `${method} got no answer: ${(error as Error).message}`);
        } else {
          // Kept by the liveness policy: checked first by the next fast batch, removed if that check fails too.
          this.#liveness.missedAnswer(contact, this.#now() - this.#sliceMs("fast"));
        }
      }),
      // A contact found dead that takes a slot again was heard from: it is reachable once more.
      this.#node.table.changes.on(({ kind, contact }) => {
        if (kind === "removed") this.#liveness.forget(contact);
        if (kind !== "added" || this.registry.status(contact.id) !== "unhealthy") return;
        if ((this.#node.table.lastSeenMs(contact.id) ?? 0) > this.registry.lastCheckedMs(contact.id, "fast")) {
          this.#observed(contact);
        }
      }),
    );
    const now = this.#now();
    // The first batch at a random point of a whole interval: nodes started together (a host of hundreds, a cluster
    // of a thousand) spread their first checks over the interval instead of all pinging in its first slice.
    for (const level of this.#levels) {
      this.#nextMs[level] = now + runtime.random() * this.#options[level].intervalS * 1000;
    }
    this.#schedule();
  }

  /** The levels this manager runs. */
  get levels(): readonly HealthLevel[] {
    return this.#levels;
  }

  /** Contacts that failed one fast check and wait for a second one to confirm it. */
  get suspects(): number {
    return this.#liveness.suspects;
  }

  /** The interval, timeout and batch limit of `level` in force. */
  timing(level: HealthLevel): Readonly<Required<HealthLevelOptions>> {
    return { ...this.#options[level] };
  }

  /**
   * Changes the interval or timeout of a level live (`cqkd tune health-check`): checks started from now on use
   * them, and a shorter interval brings the level's next batch forward. The quarantine and partition windows keep
   * the fast interval the manager was created with.
   * @throws {RangeError} when the interval or timeout is not > 0; nothing changes then
   */
  configure(level: HealthLevel, timing: Pick<HealthLevelOptions, "intervalS" | "timeoutMs">): void {
    const next = { ...this.#options[level], ...timing };
    checkTiming(level, next);
    this.#options[level] = next;
    if (level === "fast") this.#liveness.recentMs = next.intervalS * 1000;
    if (this.#timer === undefined || !this.#levels.includes(level)) return;
    this.#nextMs[level] = Math.min(this.#nextMs[level] ?? Infinity, this.#now() + this.#sliceMs(level));
    runtime.clearTimeout(this.#timer);
    this.#schedule();
  }

  /** Restores every level's timing to what the manager was created with. */
  resetTiming(): void {
    for (const level of HEALTH_LEVELS) this.configure(level, this.#configured[level]);
  }

  /** Stops the checks and waits for those in flight to give up. */
  async stop(): Promise<void> {
    runtime.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#abort.abort(new Error("Health checks stopped"));
    await Promise.allSettled([...this.#running]);
  }

  /** Stops, as {@linkcode stop} does: `await using` a manager stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * Checks one contact at `level` now and acts on the result: records it, and removes the contact from the
   * routing table when a fast check fails. An inconclusive result (this process stalled) is returned but neither
   * recorded nor acted on. Resolves with the result (rejects only when stopped).
   */
  async check(contact: Contact, level: HealthLevel): Promise<CheckResult> {
    // A process that answers and reads answers slowly (short of CPU) waits longer, up to 4 times the setting,
    // rather than take its own slowness for dead peers: twice the transport's retransmission timeout (RFC 6298).
    const lost = level === "fast" && this.#node.table.get(contact.id) === undefined;
    const configuredMs = this.#options[level].timeoutMs;
    const timeoutMs = Math.min(4 * configuredMs, Math.max(configuredMs, 2 * this.#node.transport.rtt.timeoutMs));
    const started = runtime.monotonic();
    let failure: string | undefined;
    let inconclusive = false;
    try {
      await runCheck(this.#node, contact, level, { timeoutMs, signal: this.#abort.signal });
    } catch (error) {
      if (this.#abort.signal.aborted) throw error;
      failure = (error as Error).message;
      inconclusive = error instanceof HealthCheckFailure && error.inconclusive;
    }
    const result: CheckResult = {
      level,
      ok: failure === undefined,
      atMs: this.#now(),
      durationMs: runtime.monotonic() - started,
      ...(failure === undefined ? {} : { failure }),
      ...(inconclusive ? { inconclusive: true as const } : {}),
    };
    const stats = this.stats[level];
    stats.checks++;
    stats.lastAtMs = result.atMs;
    stats.totalDurationMs += result.durationMs;
    stats.maxDurationMs = Math.max(stats.maxDurationMs, result.durationMs);
    if (inconclusive) {
      stats.inconclusive++;
      return result;
    }
    if (!result.ok) stats.failures++;
    const back = level === "fast" && result.ok && this.registry.status(contact.id) === "unhealthy";
    const status = this.registry.record(contact, result);
    if (level === "fast") this.#judge(contact, result.ok);
    // Back after failing (a healed partition): it may have missed values written meanwhile, on either side. One that
    // had been removed took a slot again by answering, which handed them over already.
    if (back && lost) this.revived.emit(contact);
    else if (back) this.#node.handOver(contact);
    this.checked.emit({ contact, result, status });
    // A deeper check that could not even ping: find out now whether the contact is gone, not a fast interval later.
    if (level !== "fast" && result.failure?.startsWith("ping got no answer") && this.#levels.includes("fast")) {
      this.#background(this.check(contact, "fast"));
    }
    return result;
  }

  /** Runs one batch of `level`: the contacts most overdue for it, at most 1/slices of its share of the table. */
  async runBatch(level: HealthLevel): Promise<void> {
    const batch = this.#budget?.grant(level, () => this.#due(level)) ?? this.#due(level);
    await Promise.allSettled(batch.map((contact) => this.#track(contact, level)));
  }

  /** Counts the routing table's contacts by status (contacts heard from within the fast interval are healthy). */
  counts(): HealthCounts {
    const counts: HealthCounts = { healthy: 0, degraded: 0, unhealthy: 0, unchecked: 0 };
    const table = this.#node.table;
    for (const contact of table.contacts()) {
      const status = this.registry.status(contact.id);
      if (status !== undefined) counts[status]++;
      else if (this.#liveness.heardRecently(table.lastSeenMs(contact.id))) counts.healthy++;
      else counts.unchecked++;
    }
    // Unhealthy contacts have left the table; the registry still remembers them.
    for (const entry of this.registry.entries()) {
      if (entry.status === "unhealthy" && table.get(entry.contact.id) === undefined) counts.unhealthy++;
    }
    return counts;
  }

  /** Acts on a fast check as the liveness policy says: removes the contact from the routing table, or keeps it. */
  #judge(contact: Contact, ok: boolean): void {
    const table = this.#node.table;
    if (!this.#liveness.judge(contact, ok, table.lastSeenMs(contact.id) ?? 0, table.size)) return;
    if (table.remove(contact.id)) this.#liveness.removed();
  }

  /** Records what the node's own traffic showed of a contact's reachability, as a fast check result. */
  #observed(contact: Contact, failure?: string): void {
    const result: CheckResult = {
      level: "fast",
      ok: failure === undefined,
      atMs: this.#now(),
      durationMs: 0,
      ...(failure === undefined ? {} : { failure }),
    };
    this.checked.emit({ contact, result, status: this.registry.record(contact, result) });
  }

  #sliceMs(level: HealthLevel): number {
    return this.#options[level].intervalS * 1000 / this.#slices;
  }

  #schedule(): void {
    const next = Math.min(...this.#levels.map((level) => this.#nextMs[level]!));
    this.#timer = runtime.setTimeout(() => {
      const now = this.#now();
      for (const level of this.#levels) {
        if (this.#nextMs[level]! > now) continue;
        this.#nextMs[level] = now + this.#sliceMs(level);
        // One batch of a level at a time: a process too slow to finish a batch within its slice checks less, not
        // more (piling batches up on a starved process made its checks fail for want of CPU).
        if (this.#batchRunning.has(level)) continue;
        this.#batchRunning.add(level);
        this.#background(this.runBatch(level).finally(() => this.#batchRunning.delete(level)));
      }
      this.#schedule();
    }, Math.max(0, next - this.#now()));
  }

  #due(level: HealthLevel): Contact[] {
    const table = this.#node.table;
    const { intervalS, perInterval } = this.#options[level];
    const now = this.#now();
    const limit = now - intervalS * 1000;
    const overdue: Array<{ contact: Contact; sinceMs: number }> = [];
    const suspects: Contact[] = [];
    for (const contact of table.contacts()) {
      if (this.#inFlight.has(`${level} ${contact.id.hex}`)) continue;
      const suspectedMs = level === "fast" ? this.#liveness.suspectedAtMs(contact) : undefined;
      if (suspectedMs !== undefined) {
        // A suspect is checked again a slice after it failed, on top of the batch's share.
        if (suspectedMs <= now - this.#sliceMs(level)) suspects.push(contact);
        continue;
      }
      const checkedMs = this.registry.lastCheckedMs(contact.id, level);
      if (checkedMs > limit) continue;
      // A contact we heard from recently is known to be reachable: no ping needed (medium and deep test more).
      const seenMs = level === "fast" ? table.lastSeenMs(contact.id) ?? 0 : 0;
      if (seenMs > limit) continue;
      // Contacts silent the longest first; contacts only heard of (named by others, never checked) after them.
      const sinceMs = Math.max(checkedMs, seenMs);
      overdue.push({ contact, sinceMs: sinceMs === 0 ? limit : sinceMs });
    }
    // A fast batch covers a tenth (1/slices) of the table, or more when a backlog built up (new contacts after
    // a refresh): then it clears within half an interval.
    const wanted = level === "fast" ? Math.max(table.size, 2 * overdue.length) : Math.min(perInterval, table.size);
    const share = Math.ceil(wanted / this.#slices);
    const due = [...suspects, ...overdue.sort((a, b) => a.sinceMs - b.sinceMs).slice(0, share).map((o) => o.contact)];
    const lost = level === "fast" && now - this.#lastRevivalMs >= intervalS * 1000
      ? this.#lostContact(limit)
      : undefined;
    if (lost !== undefined) {
      this.#lastRevivalMs = now;
      due.push(lost);
    }
    return due;
  }

  /**
   * A contact that fast checks removed from the table, not checked within the fast interval, and not yet given up
   * (its whole history failed): one of them is checked again per fast interval, so that a node cut off from part
   * of the network notices when the cut heals even if nobody there knows it any more.
   */
  #lostContact(checkedBeforeMs: number): Contact | undefined {
    for (const entry of this.registry.entries()) {
      if (entry.status !== "unhealthy" || this.#node.table.get(entry.contact.id) !== undefined) continue;
      if (this.#inFlight.has(`fast ${entry.contact.id.hex}`)) continue;
      if (this.registry.lastCheckedMs(entry.contact.id, "fast") > checkedBeforeMs) continue;
      if (entry.history.length >= this.registry.historySize && entry.history.every((r) => !r.ok)) continue;
      return entry.contact;
    }
    return undefined;
  }

  async #track(contact: Contact, level: HealthLevel): Promise<void> {
    const key = `${level} ${contact.id.hex}`;
    this.#inFlight.add(key);
    try {
      await this.check(contact, level);
    } finally {
      this.#inFlight.delete(key);
    }
  }

  #background(task: Promise<unknown>): void {
    const tracked = task.catch(() => {}).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }
}
