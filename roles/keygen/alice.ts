/** Alice's side of a key exchange: she runs the session, from discovering workers to the confirmed key. */
import { encode } from "@msgpack/msgpack";
import { toHex } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import {
  decodeRanges,
  KeyBudget,
  KeyMaterialError,
  type ParityResponder,
  SessionAbortError,
} from "../postprocess/mod.ts";
import { concatBits, packBits } from "../postprocess/mod.ts";
import { KeyStore } from "../keystore/mod.ts";
import {
  batchCommands,
  type BatchPlan,
  batchSizes,
  bobExpectation,
  expectedBy,
  KEY_SLOTS,
  workersFor,
} from "./batch_plan.ts";
import { DeadWorkers } from "./dead_workers.ts";
import { WorkerFailureError } from "./errors.ts";
import { Inbox, InboxTimeoutError } from "./inbox.ts";
import {
  decodePositions,
  fields,
  METHOD,
  parseRoleData,
  type RoleCommand,
  type SessionAnnouncement,
} from "./messages.ts";
import { PeerTrust } from "./peer_trust.ts";
import { RejectedMessageError } from "./rejections.ts";
import {
  type BatchOutcome,
  confirm,
  estimateQber,
  reconcile,
  type RoundContext,
  roundResponder,
} from "./round_steps.ts";
import { SealedMessenger, type SealedPeer } from "./sealed_messenger.ts";
import { SessionChannel } from "./session_channel.ts";
import { keyFingerprint, keyIdOf, newSessionId, sessionKey } from "./session_ids.ts";
import { STEP, type StepEvent, StepTimer } from "./steps.ts";
import { type DiscoverFn, settled, WorkerPool } from "./worker_pool.ts";
import {
  type AliceOptions,
  type AliceResult,
  type AliceSettings,
  aliceSettings,
  checkedRequest,
  type KeyRequest,
} from "./alice_options.ts";
import { WorkerExposure } from "./worker_exposure.ts";
import { runtime } from "../../core/runtime/mod.ts";

export type { DiscoverFn };
export * from "./alice_options.ts";

interface Session extends RoundContext {
  id: string;
  pool: WorkerPool;
  exposure: WorkerExposure;
  notified: boolean;
  /** The DHT announcement, stored while the first round's batches run; Bob is notified once it is in place. */
  announced: Promise<void>;
  request: KeyRequest;
}

/**
 * Alice: computes lk, discovers workers and gives each batch of positions its six roles (signed assignments with
 * random batch ids), announces the session in the DHT and notifies Bob, collects her spins, bases and the sifting
 * result from the assigned workers only, then runs the post-processing rounds with Bob on the authenticated
 * session channel. A worker that stops answering is replaced and never used again; a session ends with a key
 * that Bob confirmed, stored in both key stores under one id, or with a reason.
 */
export class Alice {
  readonly messenger: SealedMessenger;
  readonly keyStore: KeyStore;
  readonly #node: KademliaNode;
  readonly #inbox: Inbox;
  readonly #sessions = new Map<string, { channel: SessionChannel; responders: Map<number, ParityResponder> }>();
  readonly #dead = new DeadWorkers();
  readonly #trust: PeerTrust;
  readonly #discover: DiscoverFn;
  readonly #options: AliceSettings;
  readonly #onStep: ((event: StepEvent) => void) | undefined;
  /** Aborted by stop(): every session runs under it (and its request's signal). */
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<AliceResult>>();

  private constructor(node: KademliaNode, messenger: SealedMessenger, options: AliceOptions) {
    this.#node = node;
    this.messenger = messenger;
    this.keyStore = options.keyStore ?? new KeyStore();
    this.#trust = options.trust;
    this.#discover = options.discover;
    this.#onStep = options.onStep;
    this.#options = aliceSettings(options);
    if (!(Number.isInteger(this.#options.collusion) && this.#options.collusion >= 1)) {
      throw new RangeError(`Cannot start Alice: collusion must be a positive integer, got ${options.collusion}`);
    }
    this.#inbox = new Inbox({ onReject: (reason, detail) => messenger.reject(reason, detail) });
    messenger.handle(METHOD.data, (body, from) => {
      const { session, batch, name, data } = parseRoleData(body);
      if (!this.#sessions.has(session)) {
        messenger.reject("unknown_session", `${name} for session ${session.slice(0, 16)}`);
        throw new RejectedMessageError("unknown_session", `Cannot accept ${name}: no such session here`);
      }
      const verdict = this.#inbox.put(session, batch, name, toHex(from.identity), data);
      if (verdict !== "accepted") throw new RejectedMessageError(verdict, `Cannot accept ${name}: ${verdict}`);
      return true;
    });
    messenger.handle(METHOD.parity, (body, from) => {
      const session = this.#sessions.get(String(fields(body, "a parity query").session));
      if (session === undefined) {
        messenger.reject("unknown_session", "parity query for a session not running here");
        throw new RejectedMessageError("unknown_session", "Cannot answer parities: no such session here");
      }
      const { round, ranges } = session.channel.accept(METHOD.parity, body, from);
      const responder = session.responders.get(Number(round));
      if (responder === undefined) throw new RangeError(`Cannot answer parities of round ${round}: none open`);
      return responder.rangeParities(decodeRanges(ranges));
    });
  }

  /** Alice on `node`, with a fresh sealing key pair. */
  static async attach(node: KademliaNode, options: AliceOptions): Promise<Alice> {
    return new Alice(node, await SealedMessenger.attach(node, options), options);
  }

  /** Ids (hex) of the workers found dead and still in quarantine. */
  get deadWorkers(): string[] {
    return this.#dead.ids();
  }

  /** Alice as a sealed peer. */
  get self(): SealedPeer {
    return this.messenger.self;
  }

  /** Aborts the sessions under way, waits for them to end, and withdraws Alice's RPCs. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error("Alice stopped"));
    await Promise.allSettled([...this.#running]);
    await this.messenger.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * Runs a session with Bob. It resolves with `ok: false` and a reason when the session cannot give both sides
   * the same confirmed key (QBER above the threshold, workers lost, Bob unreachable or not trusted…); it rejects
   * only when `signal` aborts, Alice stops, or the request is invalid.
   *
   * @throws {RangeError} when `keyBits` is not an integer ≥ 64 or a rate is not within 0-1
   */
  generateKey(request: KeyRequest): Promise<AliceResult> {
    if (this.#abort.signal.aborted) return Promise.reject(this.#abort.signal.reason);
    const signal = request.signal ? AbortSignal.any([request.signal, this.#abort.signal]) : this.#abort.signal;
    const running = this.#session({ ...request, signal }).finally(() => this.#running.delete(running));
    this.#running.add(running);
    return running;
  }

  async #session(request: KeyRequest & { signal: AbortSignal }): Promise<AliceResult> {
    const { keyBits, signal } = request;
    const collusion = checkedRequest(request, this.#options.collusion);
    const id = newSessionId();
    const steps = new StepTimer("alice", id, this.#onStep);
    const multiplier = request.keyLengthMultiplier ?? this.#options.keyLengthMultiplier;
    const budget = new KeyBudget(keyBits, { ...this.#options, keyLengthMultiplier: multiplier });
    const exposure = new WorkerExposure();
    const pool = new WorkerPool(this.#dead, {
      discover: this.#discover,
      messenger: this.messenger,
      requireIdBinding: this.#node.envelope !== undefined,
    });
    const aliceChunks: Uint8Array[] = [];
    const siftedChunks: Uint8Array[] = [];
    let session: Session | undefined;
    let bobSteps: Record<string, number> = {};
    let fingerprint: string | null = null;
    const outcome = (finalBits: number, keyId?: string, reason?: string, aborted = false): AliceResult => ({
      session: id,
      ok: reason === undefined,
      ...(keyId === undefined ? {} : { keyId }),
      ...(fingerprint === null ? {} : { fingerprint }),
      ...(reason === undefined ? {} : { reason }),
      aborted,
      qber: budget.qber,
      rawPositions: budget.rawPositions,
      rounds: budget.rounds,
      siftedBits: budget.siftedBits,
      reconciledBits: budget.evidence.reconciledBits,
      leakage: budget.evidence.leakage,
      workerLeakage: exposure.leakedBits(collusion),
      maxWorkerShare: Math.round(exposure.maxShare(collusion) * 10_000) / 10_000,
      collusion,
      secureBits: budget.secureBits,
      finalBits,
      workers: pool.used.size,
      deadWorkers: this.deadWorkers,
      ...(this.#options.keepSifted ? { sifted: concatBits(siftedChunks) } : {}),
      steps: steps.totals(),
      bobSteps,
    });
    try {
      const lk = await steps.time(STEP.lk, () => budget.nextBatchPositions());
      await steps.time(STEP.discover, () => pool.fill(workersFor(lk, this.#options), signal));
      const bob = await steps.time(STEP.allocate, () => this.#trustedBob(request.bob, signal));
      const channel = new SessionChannel(this.messenger, id, bob, this.#options.answerTimeoutMs);
      this.#sessions.set(id, { channel, responders: new Map() });
      const announced = steps.time(STEP.create, () => this.#announce(id, keyBits, lk, signal));
      announced.catch(() => {}); // stored while the first batches run; Bob's notification awaits it
      session = { id, steps, budget, channel, pool, exposure, notified: false, announced, request, signal };
      while (!budget.complete) {
        signal.throwIfAborted();
        if (budget.rounds === this.#options.maxRounds) {
          throw new KeyMaterialError(keyBits, budget.secureBits, budget.rawPositions, budget.rounds);
        }
        const round = budget.rounds;
        const outcomes = await this.#quantumRound(session, round === 0 ? lk : budget.nextBatchPositions());
        const estimated = await estimateQber(session, round, outcomes);
        siftedChunks.push(estimated.sifted);
        outcomes.forEach((o, i) => exposure.add(o.keyWorkers, estimated.keptPerBatch[i]!));
        const layout = roundResponder(estimated.kept, budget.qber);
        const responders = this.#sessions.get(id)!.responders;
        responders.set(round, layout.responder);
        try {
          const disclosed = await reconcile(session, round, layout, this.#options.reconcileTimeoutMs);
          budget.addReconciled(estimated.kept.length, disclosed, exposure.leakedBits(collusion));
        } finally {
          responders.delete(round);
        }
        aliceChunks.push(estimated.kept);
      }
      const workerLeakage = exposure.leakedBits(collusion);
      const confirmed = await confirm(session, concatBits(aliceChunks), keyBits, workerLeakage);
      bobSteps = confirmed.bobSteps;
      const keyId = await keyIdOf(id, 0);
      fingerprint = await keyFingerprint(confirmed.key);
      this.keyStore.put({
        id: keyId,
        sessionId: id,
        bytes: packBits(confirmed.key),
        bitLength: confirmed.key.length,
        storedAt: runtime.now(),
      });
      confirmed.key.fill(0);
      return outcome(keyBits, keyId);
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = (error as Error).message;
      if (session?.notified) {
        await session.channel.request(METHOD.abort, { reason }).catch(() => {});
      }
      return outcome(0, undefined, reason, error instanceof SessionAbortError);
    } finally {
      for (const chunk of aliceChunks) chunk.fill(0);
      this.#inbox.dropSession(id);
      this.#sessions.delete(id);
    }
  }

  /** Bob's signed key, once his identity is trusted. @throws {SessionAbortError} when it is not */
  async #trustedBob(address: Peer, signal: AbortSignal): Promise<SealedPeer> {
    const bob = await this.messenger.publicKey(address, { signal });
    const problem = this.#trust.problem(bob, "bob");
    if (problem !== undefined) {
      this.messenger.reject("untrusted_peer", problem);
      throw new SessionAbortError(`Cannot run a session with Bob: ${problem}`);
    }
    return bob;
  }

  /** Step 7: the session announcement Bob finds in the DHT. */
  async #announce(session: string, keyBits: number, positions: number, signal: AbortSignal): Promise<void> {
    const { host, port, key, identity } = this.messenger.self;
    const announcement: SessionAnnouncement = {
      session,
      alice: { host, port, key, identity },
      keyBits,
      positions,
      sortingRule: "batch order, then ascending position",
    };
    await this.#node.set(sessionKey(session), encode(announcement), { signal });
  }

  /**
   * Steps 8–18 for one round: every batch gets its six workers, Alice waits for her data and Bob for his; a batch
   * that does not complete has its workers probed (the silent ones are dead) and runs again on others.
   */
  async #quantumRound(session: Session, positions: number): Promise<BatchOutcome[]> {
    const { steps, signal } = session;
    const sizes = batchSizes(positions, session.pool.workers.length, this.#options);
    const outcomes: Array<BatchOutcome | undefined> = new Array(sizes.length);
    let pending = sizes.map((count, index) => ({ index, count }));
    const timed = (ms: number) => ({ timeoutMs: ms, ...(signal ? { signal } : {}) });
    for (let attempt = 0; attempt < this.#options.maxAttempts; attempt++) {
      const plans = session.pool.assign(pending, session.exposure);
      for (const plan of plans) this.#inbox.expect(session.id, plan.id, expectedBy(plan, "alice"));
      const dispatched = await steps.time(STEP.dispatch, () => this.#dispatch(session, plans));
      const arrived = await steps.time(STEP.aliceData, () =>
        settled(dispatched, async (plan) => {
          const wait = timed(this.#options.batchTimeoutMs);
          const data = await this.#inbox.take(session.id, plan.id, expectedBy(plan, "alice"), wait);
          outcomes[plan.index] = this.#aliceOutcome(plan, data);
        }));
      if (!session.notified && arrived.length > 0) {
        await session.announced;
        await steps.time(STEP.sorting, () => {}); // fixed in the announcement: batch order, then ascending position
        await steps.time(
          STEP.notify,
          () =>
            session.channel.request(
              METHOD.notify,
              { keyBits: session.budget.targetBits, positions },
              timed(this.#options.notifyTimeoutMs),
            ),
        );
        session.notified = true;
      }
      const missing = arrived.length === 0 ? [] : fields(
        await session.channel.request(METHOD.collect, {
          batches: arrived.map(bobExpectation),
          timeoutMs: this.#options.batchTimeoutMs,
        }, timed(this.#options.batchTimeoutMs + 5000)),
        "Bob's collect answer",
      ).missing as string[];
      const complete = new Set(arrived.filter((p) => !missing.includes(p.id)).map((p) => p.index));
      const failed = plans.filter((p) => !complete.has(p.index));
      for (const plan of failed) outcomes[plan.index] = undefined;
      if (failed.length === 0) return outcomes as BatchOutcome[];
      await session.pool.probe(failed.flatMap((p) => Object.values(p.workers)), this.#options.maxWorkers, signal);
      pending = failed.map((p) => ({ index: p.index, count: p.count }));
    }
    const last = pending[0]!.index;
    throw new WorkerFailureError(last, this.#options.maxAttempts, this.deadWorkers.map((id) => id.slice(0, 12)));
  }

  /** Alice's data of a batch, its lengths checked against the plan. @throws {InboxTimeoutError} on a bad length */
  #aliceOutcome(plan: BatchPlan, data: Record<string, Uint8Array>): BatchOutcome {
    const { spins, bases, sifted } = data as { spins: Uint8Array; bases: Uint8Array; sifted: Uint8Array };
    let positions: Uint32Array | undefined;
    try {
      if (spins.length !== plan.count || bases.length !== plan.count) throw new RangeError("spins or bases");
      positions = decodePositions(sifted, plan.count);
    } catch (error) {
      this.messenger.reject("bad_length", `batch ${plan.id.slice(0, 12)}: ${(error as Error).message}`);
      throw new InboxTimeoutError(plan.id, ["well-formed data"], 0);
    }
    return { id: plan.id, spins, positions, keyWorkers: KEY_SLOTS.map((slot) => toHex(plan.workers[slot].identity)) };
  }

  /**
   * Step 8: the signed assignments of a round, one message per worker with all its slots; returns the plans whose
   * six workers all accepted theirs.
   */
  async #dispatch(session: Session, plans: readonly BatchPlan[]): Promise<BatchPlan[]> {
    const { noise = 0, eve = 0 } = session.request;
    const parties = { alice: this.messenger.self, bob: session.channel.peer };
    const byWorker = new Map<string, { worker: SealedPeer; commands: RoleCommand[]; plans: Set<BatchPlan> }>();
    for (const plan of plans) {
      for (const [worker, command] of batchCommands(plan, session.id, parties, { noise, eve })) {
        const entry = byWorker.get(worker.id) ?? { worker, commands: [], plans: new Set() };
        entry.commands.push(command);
        entry.plans.add(plan);
        byWorker.set(worker.id, entry);
      }
    }
    const failed = new Set<BatchPlan>();
    await Promise.all([...byWorker.values()].map(async ({ worker, commands, plans }) => {
      try {
        await this.messenger.request(worker, METHOD.command, { commands }, { signal: session.signal });
      } catch (error) {
        if (session.signal?.aborted) throw error;
        for (const plan of plans) failed.add(plan);
      }
    }));
    return plans.filter((plan) => !failed.has(plan));
  }
}
