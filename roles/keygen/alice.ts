/** Alice's side of a key exchange: she runs the session, from discovering workers to the confirmed key. */
import { encode } from "@msgpack/msgpack";
import { type DiscoveredNode, NotEnoughNodesError, WORKER_CAPABILITIES } from "../../core/discovery/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import {
  chooseSample,
  concatBits,
  confirmationTag,
  countErrors,
  DEFAULT_SECURITY,
  KeyBudget,
  KeyConfirmationError,
  KeyMaterialError,
  ParityResponder,
  SessionAbortError,
  splitSample,
  unpackBits,
} from "../postprocess/mod.ts";
import { privacyAmplify } from "../postprocess/mod.ts";
import { pickBits } from "../quantum/mod.ts";
import { sessionKey } from "./bob.ts";
import { NoWorkersError, WorkerFailureError } from "./errors.ts";
import { Inbox } from "./inbox.ts";
import { decodePositions, fields, METHOD, type RoleCommand, type SessionAnnouncement } from "./messages.ts";
import { SealedMessenger, type SealedMessengerOptions, type SealedPeer } from "./sealed_messenger.ts";
import { STEP, type StepEvent, StepTimer } from "./steps.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Finds live workers with the given capabilities: `attachNodeServices(node).discovery.discover`. */
export type DiscoverFn = (
  count: number,
  options: { capabilities: readonly string[]; signal?: AbortSignal },
) => Promise<DiscoveredNode[]>;

/** Options of {@linkcode Alice.attach}. */
export interface AliceOptions extends SealedMessengerOptions {
  /** How Alice finds workers. */
  discover: DiscoverFn;
  /** Most positions per batch (one command per role). @default {1024} */
  batchPositions?: number;
  /** Most workers one session uses; they take several batches each when there are more. @default {30} */
  maxWorkers?: number;
  /** Time a batch may take to reach Alice, and then Bob, before its workers are probed. @default {5000} */
  batchTimeoutMs?: number;
  /** Attempts per batch (with replaced workers) before the session fails. @default {3} */
  maxAttempts?: number;
  /** Rounds of raw positions before the session gives up. @default {8} */
  maxRounds?: number;
  /** Pooled QBER above which the session aborts (`qber_threshold`). @default {0.11} */
  qberThreshold?: number;
  /** The first round works on ⌈multiplier · key bits⌉ positions (`key_length_multiplier`). @default {2.5} */
  keyLengthMultiplier?: number;
  /** Time Bob may take to reconcile a round (Cascade's exchanges). @default {60000} */
  reconcileTimeoutMs?: number;
  /**
   * Time Bob may take to answer the notification: he looks the session up in the DHT first, which takes several
   * round trips and, on a lossy network, a few RPC timeouts. @default {15000}
   */
  notifyTimeoutMs?: number;
  /** Receives each step as it ends. */
  onStep?: (event: StepEvent) => void;
}

/** What Alice asks for. */
export interface KeyRequest {
  /** Key length lc in bits. */
  keyBits: number;
  /** Bob's address. */
  bob: Peer;
  /** Bit-flip probability of the polarizer→meter link. @default {0} */
  noise?: number;
  /** Share of photons an intercept–resend Eve measures on that link. @default {0} */
  eve?: number;
  signal?: AbortSignal;
}

/** The outcome of a session on Alice's side. */
export interface AliceResult {
  session: string;
  /** Whether Bob confirmed the same key. */
  ok: boolean;
  /** Alice's final key, one bit per byte; empty when the session failed. */
  key: Uint8Array;
  /** Why the session ended without a key. */
  reason?: string;
  /** The session was aborted by the protocol itself (QBER above the threshold, failed confirmation, too little
   * key material), as opposed to failing (workers lost, timeouts). */
  aborted: boolean;
  /** The pooled QBER estimate. */
  qber: number;
  rawPositions: number;
  rounds: number;
  siftedBits: number;
  leakage: number;
  finalBits: number;
  /** Workers used, and workers found dead (not used again by this Alice). */
  workers: number;
  deadWorkers: string[];
  /** Alice's sifted bits of every round, samples included (the simulation's true error rate needs them). */
  sifted: Uint8Array;
  /** Milliseconds per step, both sides merged when Bob reported his. */
  steps: Record<string, number>;
  bobSteps: Record<string, number>;
}

/** The six roles of a batch, in the order workers are assigned to them. */
const BATCH_ROLES = ["qsg", "bgAlice", "bgBob", "qpp", "qpm", "qpc"] as const;
type BatchRole = typeof BATCH_ROLES[number];

interface Worker extends SealedPeer {
  readonly id: string;
}

interface Session {
  id: string;
  steps: StepTimer;
  bob: SealedPeer;
  pool: Worker[];
  used: Set<string>;
  notified: boolean;
  request: KeyRequest;
}

interface BatchOutcome {
  id: string;
  spins: Uint8Array;
  positions: Uint32Array;
}

/**
 * Alice: computes lk, discovers workers and gives each batch of positions its six roles, announces the session in
 * the DHT and notifies Bob, collects her spins, bases and the sifting result (role data comes point to point,
 * sealed), then runs the post-processing rounds with Bob. A worker that stops answering is replaced (its batch is
 * run again by others) and never used again; a session either ends with a key Bob confirmed, or with a reason.
 */
export class Alice {
  readonly messenger: SealedMessenger;
  readonly #node: KademliaNode;
  readonly #inbox = new Inbox();
  readonly #responders = new Map<string, ParityResponder>();
  readonly #dead = new Set<string>();
  readonly #options: Required<Omit<AliceOptions, keyof SealedMessengerOptions | "onStep">> & AliceOptions;

  private constructor(node: KademliaNode, messenger: SealedMessenger, options: AliceOptions) {
    this.#node = node;
    this.messenger = messenger;
    this.#options = {
      batchPositions: 1024,
      maxWorkers: 30,
      batchTimeoutMs: 5000,
      maxAttempts: 3,
      maxRounds: 8,
      qberThreshold: 0.11,
      keyLengthMultiplier: 2.5,
      reconcileTimeoutMs: 60_000,
      notifyTimeoutMs: 15_000,
      ...options,
    };
    messenger.handle(METHOD.data, (body) => {
      const { session, batch, name, data } = fields(body, "role data");
      if (typeof session !== "string" || typeof batch !== "string" || typeof name !== "string") {
        throw new TypeError("Cannot read role data: bad fields");
      }
      if (!(data instanceof Uint8Array)) throw new TypeError("Cannot read role data: data must be bytes");
      this.#inbox.put(session, batch, name, data);
      return true;
    });
    messenger.handle(METHOD.parity, (body) => {
      const { session, round, blocks } = fields(body, "a parity query");
      const responder = this.#responders.get(`${session}/${round}`);
      if (responder === undefined) throw new RangeError(`Cannot answer parities of round ${round}: none open`);
      return responder.parities(blocks as number[][]);
    });
  }

  /** Alice on `node`, with a fresh key pair. */
  static async attach(node: KademliaNode, options: AliceOptions): Promise<Alice> {
    return new Alice(node, await SealedMessenger.attach(node, options), options);
  }

  /** Ids (hex) of the workers found dead: never used again. */
  get deadWorkers(): string[] {
    return [...this.#dead];
  }

  /** Withdraws Alice's RPCs. */
  stop(): void {
    this.messenger.stop();
  }

  /**
   * Runs a session with Bob. It resolves with `ok: false` and a reason when the session cannot give both sides
   * the same confirmed key (QBER above the threshold, workers lost, Bob unreachable…); it rejects only when
   * `signal` aborts or the request is invalid.
   *
   * @throws {RangeError} when `keyBits` is not a positive integer or a rate is not within 0-1
   */
  async generateKey(request: KeyRequest): Promise<AliceResult> {
    const { keyBits, noise = 0, eve = 0, signal } = request;
    for (const [name, rate] of [["noise", noise], ["eve", eve]] as const) {
      if (!(rate >= 0 && rate <= 1)) throw new RangeError(`Cannot generate a key: ${name} must be within 0-1`);
    }
    const id = Array.from(runtime.randomBytes(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
    const steps = new StepTimer("alice", id, this.#options.onStep);
    const budget = new KeyBudget(keyBits, this.#options);
    const aliceChunks: Uint8Array[] = [];
    const siftedChunks: Uint8Array[] = [];
    let session: Session | undefined;
    let bobSteps: Record<string, number> = {};
    const outcome = (key: Uint8Array, reason?: string, aborted = false): AliceResult => ({
      session: id,
      ok: reason === undefined,
      key,
      ...(reason === undefined ? {} : { reason }),
      aborted,
      qber: budget.qber,
      rawPositions: budget.rawPositions,
      rounds: budget.rounds,
      siftedBits: budget.siftedBits,
      leakage: budget.evidence.leakage,
      finalBits: key.length,
      workers: session?.used.size ?? 0,
      deadWorkers: this.deadWorkers,
      sifted: concatBits(siftedChunks),
      steps: steps.totals(),
      bobSteps,
    });
    try {
      const lk = await steps.time(STEP.lk, () => budget.nextBatchPositions());
      const batches = Math.ceil(lk / this.#options.batchPositions);
      const pool = await steps.time(
        STEP.discover,
        () => this.#discover(Math.min(this.#options.maxWorkers, 6 * batches), signal),
      );
      session = await steps.time(STEP.allocate, async () => ({
        id,
        steps,
        bob: { ...request.bob, key: await this.messenger.publicKey(request.bob, { signal }) },
        pool: await this.#withKeys(pool, signal),
        used: new Set<string>(),
        notified: false,
        request,
      }));
      if (session.pool.length < 6) throw new NoWorkersError(6, session.pool.length);
      await steps.time(STEP.create, () => this.#announce(id, keyBits, lk, signal));
      while (!budget.complete) {
        signal?.throwIfAborted();
        if (budget.rounds === this.#options.maxRounds) {
          throw new KeyMaterialError(keyBits, budget.secureBits, budget.rawPositions, budget.rounds);
        }
        const round = budget.rounds;
        const positions = round === 0 ? lk : budget.nextBatchPositions();
        const outcomes = await this.#quantumRound(session, round, positions);
        const sifted = await steps.time(
          STEP.extract,
          () => concatBits(outcomes.map((o) => pickBits(o.spins, o.positions))),
        );
        siftedChunks.push(sifted);
        budget.addBatch(positions, sifted.length);
        const kept = await steps.time(STEP.qber, async () => {
          const seed = runtime.randomBytes(new Uint8Array(16));
          const size = budget.sampleSize(sifted.length);
          const reply = fields(
            await this.messenger.request(session!.bob, METHOD.sample, {
              session: id,
              round,
              batches: outcomes.map((o) => o.id),
              seed,
              size,
            }, { signal }),
            "Bob's sample",
          );
          if (reply.siftedBits !== sifted.length || !(reply.bits instanceof Uint8Array)) {
            throw new SessionAbortError(
              `Cannot compare samples: Bob sifted ${reply.siftedBits} bits of round ${round}, Alice ${sifted.length}`,
            );
          }
          const split = splitSample(sifted, chooseSample(sifted.length, size, seed));
          budget.addSample(size, countErrors(split.sampled, unpackBits(reply.bits, size)));
          return split.kept;
        });
        const responder = new ParityResponder(kept);
        this.#responders.set(`${id}/${round}`, responder);
        try {
          await steps.time(
            STEP.cascade,
            () =>
              this.messenger.request(session!.bob, METHOD.reconcile, { session: id, round, qber: budget.qber }, {
                timeoutMs: this.#options.reconcileTimeoutMs,
                ...(signal ? { signal } : {}),
              }),
          );
        } finally {
          this.#responders.delete(`${id}/${round}`);
        }
        budget.addReconciled(kept.length, responder.disclosed);
        aliceChunks.push(kept);
      }
      const seed = runtime.randomBytes(new Uint8Array(32));
      const key = await steps.time(STEP.amplification, () => privacyAmplify(concatBits(aliceChunks), keyBits, seed));
      const reply = await steps.time(STEP.confirmation, async () => {
        const nonce = runtime.randomBytes(new Uint8Array(16));
        const tag = await confirmationTag(key, nonce, DEFAULT_SECURITY.confirmationBits);
        return fields(
          await this.messenger.request(session!.bob, METHOD.confirm, { session: id, keyBits, seed, nonce, tag }, {
            ...(signal ? { signal } : {}),
          }),
          "Bob's confirmation",
        );
      });
      bobSteps = (reply.steps ?? {}) as Record<string, number>;
      if (reply.confirmed !== true) throw new KeyConfirmationError();
      return outcome(key);
    } catch (error) {
      if (signal?.aborted) throw error;
      const reason = (error as Error).message;
      if (session?.notified) {
        await this.messenger.request(session.bob, METHOD.abort, { session: id, reason }).catch(() => {});
      }
      return outcome(new Uint8Array(), reason, error instanceof SessionAbortError);
    } finally {
      this.#inbox.dropSession(id);
    }
  }

  /** `count` live workers (fewer when fewer exist, at least 6), none of them known dead. */
  async #discover(count: number, signal?: AbortSignal): Promise<DiscoveredNode[]> {
    const want = Math.max(6, count) + this.#dead.size;
    let found: DiscoveredNode[];
    try {
      found = await this.#options.discover(want, { capabilities: WORKER_CAPABILITIES, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!(error instanceof NotEnoughNodesError) || error.found - this.#dead.size < 6) {
        if (error instanceof NotEnoughNodesError) throw new NoWorkersError(6, error.found);
        throw error;
      }
      found = await this.#options.discover(error.found, {
        capabilities: WORKER_CAPABILITIES,
        ...(signal ? { signal } : {}),
      });
    }
    return found.filter((n) => !this.#dead.has(n.id.hex)).slice(0, Math.max(6, count));
  }

  /** The workers that answer with their public key (steps 4–6); the others are dead. */
  async #withKeys(nodes: readonly DiscoveredNode[], signal?: AbortSignal): Promise<Worker[]> {
    const keyed = await Promise.all(nodes.map(async (node) => {
      try {
        const key = await this.messenger.publicKey(node, { signal });
        return { id: node.id.hex, host: node.host, port: node.port, key };
      } catch (error) {
        if (signal?.aborted) throw error;
        this.#dead.add(node.id.hex);
        return undefined;
      }
    }));
    return keyed.filter((w) => w !== undefined);
  }

  /** Step 7: the session announcement Bob finds in the DHT. */
  async #announce(session: string, keyBits: number, positions: number, signal?: AbortSignal): Promise<void> {
    const announcement: SessionAnnouncement = {
      session,
      alice: this.messenger.self,
      keyBits,
      positions,
      sortingRule: "batch order, then ascending position",
    };
    await this.#node.set(sessionKey(session), encode(announcement), signal ? { signal } : {});
  }

  /**
   * Steps 8–18 for one round: every batch gets its six workers, Alice waits for her data and Bob for his; a batch
   * that does not complete has its workers probed (the silent ones are dead) and runs again on others.
   */
  async #quantumRound(session: Session, round: number, positions: number): Promise<BatchOutcome[]> {
    const { steps } = session;
    const count = Math.ceil(positions / this.#options.batchPositions);
    const sizes = Array.from(
      { length: count },
      (_, i) => Math.floor(((i + 1) * positions) / count) - Math.floor((i * positions) / count),
    );
    const outcomes: Array<BatchOutcome | undefined> = new Array(count);
    let pending = sizes.map((_, i) => i);
    for (let attempt = 0; attempt < this.#options.maxAttempts; attempt++) {
      const plans = pending.map((index) => ({
        index,
        id: `${round}.${index}.${attempt}`,
        workers: this.#assign(session, index, attempt),
      }));
      const dispatched = await steps.time(
        STEP.dispatch,
        () => settled(plans, (plan) => this.#dispatch(session, plan.id, sizes[plan.index]!, plan.workers)),
      );
      const arrived = await steps.time(STEP.aliceData, () =>
        settled(dispatched, async (plan) => {
          const data = await this.#inbox.take(session.id, plan.id, ["spins", "bases", "sifted"], {
            timeoutMs: this.#options.batchTimeoutMs,
            ...(session.request.signal ? { signal: session.request.signal } : {}),
          });
          outcomes[plan.index] = { id: plan.id, spins: data.spins!, positions: decodePositions(data.sifted!) };
        }));
      if (!session.notified && arrived.length > 0) {
        await steps.time(STEP.sorting, () => {}); // fixed in the announcement: batch order, then ascending position
        await steps.time(
          STEP.notify,
          () =>
            this.messenger.request(session.bob, METHOD.notify, { session: session.id }, {
              timeoutMs: this.#options.notifyTimeoutMs,
            }),
        );
        session.notified = true;
      }
      const missing = arrived.length === 0 ? [] : fields(
        await this.messenger.request(session.bob, METHOD.collect, {
          session: session.id,
          batches: arrived.map((p) => p.id),
          timeoutMs: this.#options.batchTimeoutMs,
        }, { timeoutMs: this.#options.batchTimeoutMs + 5000 }),
        "Bob's collect answer",
      ).missing as string[];
      const complete = new Set(arrived.filter((p) => !missing.includes(p.id)).map((p) => p.index));
      const failed = plans.filter((p) => !complete.has(p.index));
      for (const plan of failed) outcomes[plan.index] = undefined;
      if (failed.length === 0) return outcomes as BatchOutcome[];
      await this.#probe(session, failed.flatMap((p) => Object.values(p.workers)));
      pending = failed.map((p) => p.index);
    }
    const last = pending[0]!;
    throw new WorkerFailureError(last, this.#options.maxAttempts, this.deadWorkers.map((id) => id.slice(0, 12)));
  }

  /** The six workers of a batch attempt: distinct, spread over the pool, shifted on each attempt. */
  #assign(session: Session, index: number, attempt: number): Record<BatchRole, Worker> {
    const { pool } = session;
    if (pool.length < 6) throw new NoWorkersError(6, pool.length);
    const first = index * 6 + attempt * 7;
    const workers = Object.fromEntries(BATCH_ROLES.map((role, r) => [role, pool[(first + r) % pool.length]!]));
    for (const worker of Object.values(workers)) session.used.add(worker.id);
    return workers as Record<BatchRole, Worker>;
  }

  /** Step 8: the six role commands of a batch, each sealed to its worker; rejects when one is not accepted. */
  async #dispatch(session: Session, batch: string, count: number, w: Record<BatchRole, Worker>): Promise<void> {
    const alice = this.messenger.self;
    const { bob, id } = session;
    const { noise = 0, eve = 0 } = session.request;
    const commands: Array<[Worker, RoleCommand]> = [
      [w.qsg, {
        session: id,
        batch,
        count,
        role: "qsg",
        routes: [{ to: w.qpp, as: "spins" }, { to: alice, as: "spins" }],
      }],
      [w.bgAlice, {
        session: id,
        batch,
        count,
        role: "bg",
        routes: [{ to: w.qpp, as: "bases" }, { to: w.qpc, as: "aliceBases" }, { to: alice, as: "bases" }],
      }],
      [w.bgBob, {
        session: id,
        batch,
        count,
        role: "bg",
        routes: [{ to: w.qpm, as: "bases" }, { to: w.qpc, as: "bobBases" }, { to: bob, as: "bases" }],
      }],
      [w.qpp, {
        session: id,
        batch,
        count,
        role: "qpp",
        routes: [{ to: w.qpm, as: "polarizations" }],
        channel: { noise, eve },
      }],
      [w.qpm, { session: id, batch, count, role: "qpm", routes: [{ to: bob, as: "readings" }] }],
      [w.qpc, {
        session: id,
        batch,
        count,
        role: "qpc",
        routes: [{ to: alice, as: "sifted" }, { to: bob, as: "sifted" }],
      }],
    ];
    // Consumers first, so that they wait for their inputs before the generators send them.
    await Promise.all(
      commands.reverse().map(([worker, command]) =>
        this.messenger.request(
          peerOf(worker),
          METHOD.command,
          command,
          session.request.signal ? { signal: session.request.signal } : {},
        )
      ),
    );
  }

  /** Pings the workers of failed batches: the silent ones are dead, leave the pool, and are never used again. */
  async #probe(session: Session, workers: readonly Worker[]): Promise<void> {
    const unique = [...new Map(workers.map((w) => [w.id, w])).values()];
    await Promise.all(unique.map(async (worker) => {
      try {
        await this.messenger.publicKey(worker);
      } catch {
        this.#dead.add(worker.id);
      }
    }));
    session.pool = session.pool.filter((w) => !this.#dead.has(w.id));
    if (session.pool.length >= 6) return;
    const known = new Set(session.pool.map((w) => w.id));
    const fresh = await this.#discover(this.#options.maxWorkers, session.request.signal);
    session.pool.push(...await this.#withKeys(fresh.filter((n) => !known.has(n.id.hex)), session.request.signal));
  }
}

function peerOf(worker: Worker): SealedPeer {
  return { host: worker.host, port: worker.port, key: worker.key };
}

/** Runs `task` on each item; returns the items whose task succeeded. */
async function settled<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<T[]> {
  const results = await Promise.allSettled(items.map(task));
  return items.filter((_, i) => results[i]!.status === "fulfilled");
}
