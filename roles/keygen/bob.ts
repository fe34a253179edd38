/** Bob's side of a key exchange: answers Alice's session messages and stores the keys he confirms. */
import { decode } from "@msgpack/msgpack";
import { equalBytes, toHex } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import { KeyStore } from "../keystore/mod.ts";
import {
  cascade,
  chooseSample,
  concatBits,
  encodeRanges,
  packBits,
  privacyAmplify,
  splitSample,
  verifyConfirmation,
} from "../postprocess/mod.ts";
import { pickBits } from "../quantum/mod.ts";
import { Inbox, InboxTimeoutError } from "./inbox.ts";
import { decodePositions, fields, METHOD, parseRoleData, type SessionAnnouncement } from "./messages.ts";
import type { PeerTrust } from "./peer_trust.ts";
import { RejectedMessageError } from "./rejections.ts";
import { SealedMessenger, type SealedMessengerOptions, type SealedPeer } from "./sealed_messenger.ts";
import { SessionChannel } from "./session_channel.ts";
import { keyFingerprint, keyIdOf, sessionKey } from "./session_ids.ts";
import { STEP, type StepEvent, StepTimer } from "./steps.ts";
import { runtime } from "../../core/runtime/mod.ts";
import { CASCADE_SEED_BYTES } from "./round_steps.ts";

/** What Bob reports of a session: figures, never key material. */
export interface BobSession {
  readonly id: string;
  readonly steps: StepTimer;
  /** Sifted bits of every round, samples included: only with `keepSifted` (simulation diagnostics). */
  readonly sifted: Uint8Array[];
  /** The id of the confirmed key in Bob's key store. */
  keyId?: string;
  /** Length of the confirmed key. */
  keyBits?: number;
  /** The key's fingerprint: keys of at least 128 bits only. */
  fingerprint?: string;
  /** Why the session ended without a key. */
  reason?: string;
}

/** Bob's private state of a session. */
interface SessionState {
  readonly report: BobSession;
  readonly channel: SessionChannel;
  readonly keyBits: number;
  /** Reconciled bits of every round. */
  readonly reconciled: Uint8Array[];
  readonly batches: Map<string, { readings: Uint8Array; positions: Uint32Array }>;
  readonly rounds: Map<number, Uint8Array>;
  /** Aborted when the session is forgotten or Bob stops: what its handlers wait for gives up. */
  readonly abort: AbortController;
}

/** A session message that passed its checks. */
interface Accepted {
  state: SessionState;
  message: Record<string, unknown>;
}

/** Options of {@linkcode Bob.attach}. */
export interface BobOptions extends SealedMessengerOptions {
  /** The Alices Bob runs sessions with (pinned identities or role certificates). */
  trust: PeerTrust;
  /** Where confirmed keys go. @default a fresh store */
  keyStore?: KeyStore;
  /** Receives each step as it ends. */
  onStep?: (event: StepEvent) => void;
  /** Sessions kept after they end, for the caller to read. @default {64} */
  keptSessions?: number;
  /** Time Bob waits for each of Alice's parity answers. @default {5000} */
  parityTimeoutMs?: number;
  /** Keep each session's sifted bits (simulation diagnostics: the true error rate). @default {false} */
  keepSifted?: boolean;
}

/**
 * Bob: learns of a session from a trusted Alice's notification and checks its announcement in the DHT, receives his
 * bases, the measurements and the sifting result from the workers Alice assigned (and only from them), discloses
 * his sample, runs Cascade against Alice's parities, confirms the reconciled key and amplifies it into his key
 * store. Every session message must come from the session's Alice, in sequence.
 */
export class Bob {
  readonly messenger: SealedMessenger;
  readonly keyStore: KeyStore;
  readonly #node: KademliaNode;
  readonly #inbox: Inbox;
  readonly #sessions = new Map<string, SessionState>();
  readonly #options: BobOptions;
  /** Notifications reading the DHT, which stop() aborts. */
  readonly #notifying = new Set<AbortController>();

  private constructor(node: KademliaNode, messenger: SealedMessenger, options: BobOptions) {
    this.#node = node;
    this.messenger = messenger;
    this.#options = options;
    this.keyStore = options.keyStore ?? new KeyStore();
    this.#inbox = new Inbox({ onReject: (reason, detail) => messenger.reject(reason, detail) });
    messenger.handle(METHOD.data, (body, from) => {
      const { session, batch, name, data } = parseRoleData(body);
      const verdict = this.#inbox.put(session, batch, name, toHex(from.identity), data);
      if (verdict !== "accepted") throw new RejectedMessageError(verdict, `Cannot accept ${name}: ${verdict}`);
      return true;
    });
    messenger.handle(METHOD.notify, (body, from) => this.#notified(body, from));
    messenger.handle(METHOD.collect, (body, from) => this.#collect(this.#accept(METHOD.collect, body, from)));
    messenger.handle(METHOD.sample, (body, from) => this.#sample(this.#accept(METHOD.sample, body, from)));
    messenger.handle(METHOD.reconcile, (body, from) => this.#reconcile(this.#accept(METHOD.reconcile, body, from)));
    messenger.handle(METHOD.confirm, (body, from) => this.#confirm(this.#accept(METHOD.confirm, body, from)));
    messenger.handle(METHOD.abort, (body, from) => {
      const { state, message } = this.#accept(METHOD.abort, body, from);
      this.#end(state, String(message.reason));
      return true;
    });
  }

  /** Bob on `node`, with a fresh sealing key pair. */
  static async attach(node: KademliaNode, options: BobOptions): Promise<Bob> {
    return new Bob(node, await SealedMessenger.attach(node, options), options);
  }

  /** Bob as a sealed peer. */
  get self(): SealedPeer {
    return this.messenger.self;
  }

  /** A session Bob took part in, while it is kept. */
  session(id: string): BobSession | undefined {
    return this.#sessions.get(id)?.report;
  }

  /** Aborts what the sessions wait for, zeroes their bits (their reports stay) and withdraws Bob's RPCs. */
  async stop(): Promise<void> {
    for (const notifying of this.#notifying) notifying.abort(new Error("Bob stopped"));
    for (const state of this.#sessions.values()) this.#forget(state);
    await this.messenger.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #notified(body: unknown, from: SealedPeer): Promise<boolean> {
    const notice = fields(body, "a notification");
    const { session, keyBits, positions } = notice;
    if (typeof session !== "string" || !/^[0-9a-f]{16}$/.test(session)) {
      throw new TypeError("Cannot read a notification: bad session id");
    }
    const problem = this.#options.trust.problem(from, "alice");
    if (problem !== undefined) {
      this.messenger.reject("untrusted_peer", problem);
      throw new RejectedMessageError("untrusted_peer", `Cannot join session ${session}: ${problem}`);
    }
    if (this.#sessions.has(session)) {
      this.messenger.reject("out_of_order", `second notification of session ${session}`);
      throw new RejectedMessageError("out_of_order", `Cannot join session ${session} twice`);
    }
    const steps = new StepTimer("bob", session, this.#options.onStep);
    const abort = new AbortController();
    this.#notifying.add(abort);
    const announcement = await steps.time(STEP.bobNotified, async () => {
      const value = await this.#node.get(sessionKey(session), { signal: abort.signal });
      if (!(value instanceof Uint8Array)) throw new Error(`Cannot find session ${session} announced in the DHT`);
      return decode(value) as SessionAnnouncement;
    }).finally(() => this.#notifying.delete(abort));
    // The DHT's copy must be the one the trusted Alice announced: the same identity and the same request.
    const alice = announcement?.alice;
    if (
      !(alice?.identity instanceof Uint8Array) || !equalBytes(alice.identity, from.identity) ||
      !(alice.key instanceof Uint8Array) || !equalBytes(alice.key, from.key) || announcement.keyBits !== keyBits ||
      announcement.positions !== positions
    ) {
      this.messenger.reject("unexpected_sender", `announcement of session ${session} differs from the notification`);
      throw new RejectedMessageError(
        "unexpected_sender",
        `Cannot join session ${session}: the announcement in the DHT differs from Alice's notification`,
      );
    }
    if (!Number.isInteger(keyBits) || (keyBits as number) < 1) throw new TypeError("Cannot join: bad key length");
    await steps.time(STEP.bobPrepares, () => {
      const peer = { ...from, host: alice.host, port: alice.port };
      const channel = new SessionChannel(this.messenger, session, peer);
      channel.accept(METHOD.notify, body, from);
      const report: BobSession = { id: session, steps, sifted: [] };
      this.#sessions.set(session, {
        report,
        channel,
        keyBits: keyBits as number,
        reconciled: [],
        batches: new Map(),
        rounds: new Map(),
        abort,
      });
      const kept = this.#options.keptSessions ?? 64;
      for (const id of [...this.#sessions.keys()].slice(0, Math.max(0, this.#sessions.size - kept))) {
        this.#forget(this.#sessions.get(id)!);
        this.#sessions.delete(id);
      }
    });
    return true;
  }

  /** The session of a message and its fields, once its sender and sequence check out. */
  #accept(method: string, body: unknown, from: SealedPeer): Accepted {
    const id = fields(body, method).session;
    const state = typeof id === "string" ? this.#sessions.get(id) : undefined;
    if (state === undefined) {
      this.messenger.reject("unknown_session", `${method} for session ${String(id).slice(0, 16)}`);
      throw new RejectedMessageError("unknown_session", `Cannot continue session ${id}: Bob was not notified of it`);
    }
    return { state, message: state.channel.accept(method, body, from) };
  }

  async #collect({ state, message }: Accepted): Promise<{ missing: string[] }> {
    const { batches, timeoutMs } = message;
    if (!Array.isArray(batches) || !Number.isInteger(timeoutMs)) {
      throw new TypeError("Cannot read a collect request: bad fields");
    }
    const { report } = state;
    const started = runtime.monotonic();
    const missing: string[] = [];
    await Promise.all(batches.map(async (expectation) => {
      const { id, count, senders } = fields(expectation, "a batch expectation");
      const from = fields(senders, "a batch's senders");
      if (typeof id !== "string" || !Number.isInteger(count)) throw new TypeError("Cannot read a batch expectation");
      try {
        const data = await this.#inbox.take(report.id, id, {
          bases: String(from.bases),
          readings: String(from.readings),
          sifted: String(from.sifted),
        }, { timeoutMs: timeoutMs as number, signal: state.abort.signal });
        if (data.bases!.length !== count || data.readings!.length !== count) {
          throw new RangeError(`bases or readings hold another count than ${count}`);
        }
        state.batches.set(id, { readings: data.readings!, positions: decodePositions(data.sifted!, count as number) });
      } catch (error) {
        if (error instanceof RangeError) {
          this.messenger.reject("bad_length", `batch ${id.slice(0, 12)}: ${error.message}`);
        } else if (!(error instanceof InboxTimeoutError)) throw error;
        missing.push(id);
      }
    }));
    // The three kinds are awaited together: each step gets the time until the batches were all in.
    const arrivedMs = runtime.monotonic() - started;
    for (const step of [STEP.bobBases, STEP.measurements, STEP.sifting]) report.steps.add(step, arrivedMs);
    return { missing };
  }

  async #sample({ state, message }: Accepted): Promise<{ siftedBits: number; bits: Uint8Array }> {
    const { round, batches, seed, size } = message;
    if (!Array.isArray(batches) || !(seed instanceof Uint8Array) || !Number.isInteger(size)) {
      throw new TypeError("Cannot read a sample request: bad fields");
    }
    const sifted = await state.report.steps.time(STEP.extract, () =>
      concatBits(batches.map((batch) => {
        const data = state.batches.get(String(batch));
        if (data === undefined) throw new RangeError(`Cannot build the sifted key: batch ${batch} is not held`);
        state.batches.delete(String(batch));
        return pickBits(data.readings, data.positions);
      })));
    if (this.#options.keepSifted) state.report.sifted.push(sifted);
    const { sampled, kept } = splitSample(sifted, chooseSample(sifted.length, size as number, seed));
    state.rounds.set(Number(round), kept);
    return { siftedBits: sifted.length, bits: packBits(sampled) };
  }

  async #reconcile({ state, message }: Accepted): Promise<{ exchanges: number }> {
    const round = Number(message.round);
    const kept = state.rounds.get(round);
    if (kept === undefined) throw new RangeError(`Cannot reconcile round ${round}: it was not sampled`);
    state.rounds.delete(round);
    const { qber, seed } = message;
    if (!(seed instanceof Uint8Array) || seed.length !== CASCADE_SEED_BYTES || typeof qber !== "number") {
      throw new TypeError(`Cannot reconcile round ${round}: expected a ${CASCADE_SEED_BYTES}-byte seed and a QBER`);
    }
    const oracle = {
      rangeParities: async (ranges: Uint32Array) => {
        const answer = await state.channel.request(METHOD.parity, { round, ranges: encodeRanges(ranges) }, {
          timeoutMs: this.#options.parityTimeoutMs ?? 5000,
          signal: state.abort.signal,
        });
        if (!(answer instanceof Uint8Array) || answer.length !== ranges.length / 3) {
          throw new TypeError("Cannot read Alice's parities: expected one byte per range");
        }
        return answer;
      },
    };
    const result = await state.report.steps.time(STEP.cascade, () => cascade(kept, oracle, { qber, seed }));
    state.reconciled.push(result.bits);
    return { exchanges: result.exchanges };
  }

  async #confirm({ state, message }: Accepted): Promise<{ confirmed: boolean; steps: Record<string, number> }> {
    const { keyBits, seed, nonce, tag } = message;
    if (!(seed instanceof Uint8Array) || !(nonce instanceof Uint8Array) || !(tag instanceof Uint8Array)) {
      throw new TypeError("Cannot read a confirmation: seed, nonce and tag must be bytes");
    }
    const { report } = state;
    if (keyBits !== state.keyBits || nonce.length !== 16 + seed.length || !equalBytes(nonce.subarray(16), seed)) {
      this.#end(state, "Alice's confirmation does not bind the announced key length and seed");
      return { confirmed: false, steps: report.steps.totals() };
    }
    const reconciled = concatBits(state.reconciled);
    const confirmed = await report.steps.time(
      STEP.confirmation,
      () => verifyConfirmation(reconciled, nonce, tag).then(() => true, () => false),
    );
    if (!confirmed) {
      this.#end(state, "Bob's confirmation tag differs from Alice's");
      return { confirmed, steps: report.steps.totals() };
    }
    const key = await report.steps.time(STEP.amplification, () => privacyAmplify(reconciled, state.keyBits, seed));
    const keyId = await keyIdOf(report.id, 0);
    this.keyStore.put({
      id: keyId,
      sessionId: report.id,
      bytes: packBits(key),
      bitLength: key.length,
      storedAt: runtime.now(),
    });
    const fingerprint = await keyFingerprint(key);
    if (fingerprint !== null) report.fingerprint = fingerprint;
    key.fill(0);
    reconciled.fill(0);
    this.#forget(state);
    report.keyId = keyId;
    report.keyBits = state.keyBits;
    return { confirmed, steps: report.steps.totals() };
  }

  #end(state: SessionState, reason: string): void {
    state.report.reason = reason;
    // Alice gave up after all (her side could not store the key): the key must not outlive the session.
    if (state.report.keyId !== undefined) this.keyStore.erase(state.report.keyId);
    delete state.report.keyId;
    delete state.report.keyBits;
    delete state.report.fingerprint;
    this.#forget(state);
  }

  /** Zeroes and drops a session's bits (its report stays). */
  #forget(state: SessionState): void {
    state.abort.abort(new Error(`Session ${state.report.id} ended`));
    for (const bits of state.reconciled) bits.fill(0);
    for (const bits of state.rounds.values()) bits.fill(0);
    state.reconciled.length = 0;
    state.rounds.clear();
    state.batches.clear();
    this.#inbox.dropSession(state.report.id);
  }
}
