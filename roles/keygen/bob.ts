/** Bob's side of a key exchange: answers Alice's session messages and keeps the keys he ends with. */
import { decode } from "@msgpack/msgpack";
import { equalBytes } from "../../core/bytes.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import {
  cascade,
  chooseSample,
  concatBits,
  packBits,
  privacyAmplify,
  splitSample,
  verifyConfirmation,
} from "../postprocess/mod.ts";
import { pickBits } from "../quantum/mod.ts";
import { Inbox, InboxTimeoutError } from "./inbox.ts";
import { decodePositions, fields, METHOD, type SessionAnnouncement } from "./messages.ts";
import { SealedMessenger, type SealedMessengerOptions, type SealedPeer } from "./sealed_messenger.ts";
import { STEP, type StepEvent, StepTimer } from "./steps.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** The DHT key of a session's announcement. */
export function sessionKey(session: string): string {
  return `cqkd-session:${session}`;
}

/** What Bob holds of a session. */
export interface BobSession {
  readonly id: string;
  readonly alice: SealedPeer;
  readonly steps: StepTimer;
  /** Sifted bits of every round, samples included (for the simulation's true error rate). */
  readonly sifted: Uint8Array[];
  /** Reconciled bits of every round. */
  readonly reconciled: Uint8Array[];
  /** His final key, once confirmed. */
  key?: Uint8Array;
  /** Why the session ended without a key. */
  reason?: string;
}

interface BatchData {
  readings: Uint8Array;
  positions: Uint32Array;
}

/** Options of {@linkcode Bob.attach}. */
export interface BobOptions extends SealedMessengerOptions {
  /** Receives each step as it ends. */
  onStep?: (event: StepEvent) => void;
  /** Sessions kept after they end, for the caller to read. @default {64} */
  keptSessions?: number;
  /** Time Bob waits for each of Alice's parity answers. @default {5000} */
  parityTimeoutMs?: number;
}

/**
 * Bob: learns of a session from Alice's notification and its announcement in the DHT, receives his bases, the
 * measurements and the sifting result from the workers, discloses his sample, runs Cascade against Alice's
 * parities, and amplifies and confirms his key.
 */
export class Bob {
  readonly messenger: SealedMessenger;
  readonly #node: KademliaNode;
  readonly #inbox = new Inbox();
  readonly #sessions = new Map<string, BobSession>();
  readonly #batches = new Map<string, BatchData>();
  readonly #rounds = new Map<string, Uint8Array>();
  readonly #options: BobOptions;

  private constructor(node: KademliaNode, messenger: SealedMessenger, options: BobOptions) {
    this.#node = node;
    this.messenger = messenger;
    this.#options = options;
    messenger.handle(METHOD.data, (body) => {
      const { session, batch, name, data } = fields(body, "role data");
      if (typeof session !== "string" || typeof batch !== "string" || !(data instanceof Uint8Array)) {
        throw new TypeError("Cannot read role data: bad fields");
      }
      // One slot per value, so that each kind's arrival is awaited (and timed) on its own.
      this.#inbox.put(session, `${batch}/${name}`, "value", data);
      return true;
    });
    messenger.handle(METHOD.notify, (body, from) => this.#notified(body, from));
    messenger.handle(METHOD.collect, (body) => this.#collect(body));
    messenger.handle(METHOD.sample, (body) => this.#sample(body));
    messenger.handle(METHOD.reconcile, (body) => this.#reconcile(body));
    messenger.handle(METHOD.confirm, (body) => this.#confirm(body));
    messenger.handle(METHOD.abort, (body) => {
      const { session, reason } = fields(body, "an abort");
      this.#end(this.#session(session), String(reason));
      return true;
    });
  }

  /** Bob on `node`, with a fresh key pair. */
  static async attach(node: KademliaNode, options: BobOptions = {}): Promise<Bob> {
    return new Bob(node, await SealedMessenger.attach(node, options), options);
  }

  /** Bob as a sealed peer. */
  get self(): SealedPeer {
    return this.messenger.self;
  }

  /** A session Bob took part in, while it is kept. */
  session(id: string): BobSession | undefined {
    return this.#sessions.get(id);
  }

  /** Withdraws Bob's RPCs. */
  stop(): void {
    this.messenger.stop();
  }

  async #notified(body: unknown, from: SealedPeer): Promise<boolean> {
    const { session } = fields(body, "a notification");
    if (typeof session !== "string" || !/^[0-9a-f]{16}$/.test(session)) {
      throw new TypeError("Cannot read a notification: bad session id");
    }
    const steps = new StepTimer("bob", session, this.#options.onStep);
    const announcement = await steps.time(STEP.bobNotified, async () => {
      const value = await this.#node.get(sessionKey(session));
      if (!(value instanceof Uint8Array)) throw new Error(`Cannot find session ${session} announced in the DHT`);
      return decode(value) as SessionAnnouncement;
    });
    // The announcement must name the key that sealed the notification: no one else can open what Bob sends.
    if (!(announcement.alice?.key instanceof Uint8Array) || !equalBytes(announcement.alice.key, from.key)) {
      throw new Error(`Cannot join session ${session}: the announcement names another key than the notifier's`);
    }
    await steps.time(STEP.bobPrepares, () => {
      this.#sessions.set(session, { id: session, alice: announcement.alice, steps, sifted: [], reconciled: [] });
      const kept = this.#options.keptSessions ?? 64;
      for (const id of [...this.#sessions.keys()].slice(0, Math.max(0, this.#sessions.size - kept))) {
        this.#sessions.delete(id);
      }
    });
    return true;
  }

  async #collect(body: unknown): Promise<{ missing: string[] }> {
    const { session: id, batches, timeoutMs } = fields(body, "a collect request");
    const session = this.#session(id);
    if (!Array.isArray(batches) || !batches.every((b) => typeof b === "string") || !Number.isInteger(timeoutMs)) {
      throw new TypeError("Cannot read a collect request: bad fields");
    }
    const started = runtime.monotonic();
    const lastArrival: Record<string, number> = { bases: 0, readings: 0, sifted: 0 };
    const missing: string[] = [];
    await Promise.all((batches as string[]).map(async (batch) => {
      const take = async (name: string) => {
        const { value } = await this.#inbox.take(session.id, `${batch}/${name}`, ["value"], {
          timeoutMs: timeoutMs as number,
        });
        lastArrival[name] = Math.max(lastArrival[name]!, runtime.monotonic() - started);
        return value!;
      };
      try {
        const [, readings, sifted] = await Promise.all([take("bases"), take("readings"), take("sifted")]);
        this.#batches.set(`${session.id}/${batch}`, { readings, positions: decodePositions(sifted) });
      } catch (error) {
        if (!(error instanceof InboxTimeoutError)) throw error;
        missing.push(batch);
      }
    }));
    session.steps.add(STEP.bobBases, lastArrival.bases!);
    session.steps.add(STEP.measurements, lastArrival.readings!);
    session.steps.add(STEP.sifting, lastArrival.sifted!);
    return { missing };
  }

  async #sample(body: unknown): Promise<{ siftedBits: number; bits: Uint8Array }> {
    const { session: id, round, batches, seed, size } = fields(body, "a sample request");
    const session = this.#session(id);
    if (!Array.isArray(batches) || !(seed instanceof Uint8Array) || !Number.isInteger(size)) {
      throw new TypeError("Cannot read a sample request: bad fields");
    }
    const sifted = await session.steps.time(STEP.extract, () =>
      concatBits(batches.map((batch) => {
        const data = this.#batches.get(`${session.id}/${batch}`);
        if (data === undefined) throw new RangeError(`Cannot build the sifted key: batch ${batch} is not held`);
        this.#batches.delete(`${session.id}/${batch}`);
        return pickBits(data.readings, data.positions);
      })));
    session.sifted.push(sifted);
    const sample = chooseSample(sifted.length, size as number, seed);
    const { sampled, kept } = splitSample(sifted, sample);
    this.#rounds.set(`${session.id}/${round}`, kept);
    return { siftedBits: sifted.length, bits: packBits(sampled) };
  }

  async #reconcile(body: unknown): Promise<{ exchanges: number }> {
    const { session: id, round, qber } = fields(body, "a reconcile request");
    const session = this.#session(id);
    const kept = this.#rounds.get(`${session.id}/${round}`);
    if (kept === undefined) throw new RangeError(`Cannot reconcile round ${round}: it was not sampled`);
    this.#rounds.delete(`${session.id}/${round}`);
    const oracle = {
      parities: async (blocks: number[][]) => {
        const answer = await this.messenger.request(session.alice, METHOD.parity, {
          session: session.id,
          round,
          blocks,
        }, {
          timeoutMs: this.#options.parityTimeoutMs ?? 5000,
        });
        if (!Array.isArray(answer) || answer.length !== blocks.length) {
          throw new TypeError("Cannot read Alice's parities: expected one per block");
        }
        return answer as number[];
      },
    };
    const result = await session.steps.time(STEP.cascade, () => cascade(kept, oracle, { qber: Number(qber) }));
    session.reconciled.push(result.bits);
    return { exchanges: result.exchanges };
  }

  async #confirm(body: unknown): Promise<{ confirmed: boolean; steps: Record<string, number> }> {
    const { session: id, keyBits, seed, nonce, tag } = fields(body, "a confirmation");
    const session = this.#session(id);
    if (!(seed instanceof Uint8Array) || !(nonce instanceof Uint8Array) || !(tag instanceof Uint8Array)) {
      throw new TypeError("Cannot read a confirmation: seed, nonce and tag must be bytes");
    }
    const key = await session.steps.time(
      STEP.amplification,
      () => privacyAmplify(concatBits(session.reconciled), keyBits as number, seed),
    );
    const confirmed = await session.steps.time(
      STEP.confirmation,
      () => verifyConfirmation(key, nonce, tag).then(() => true, () => false),
    );
    if (confirmed) session.key = key;
    else this.#end(session, "Bob's confirmation tag differs from Alice's");
    return { confirmed, steps: session.steps.totals() };
  }

  #session(id: unknown): BobSession {
    const session = typeof id === "string" ? this.#sessions.get(id) : undefined;
    if (session === undefined) throw new RangeError(`Cannot continue session ${id}: Bob was not notified of it`);
    return session;
  }

  #end(session: BobSession, reason: string): void {
    session.reason = reason;
    delete session.key;
    this.#inbox.dropSession(session.id);
    for (const map of [this.#batches, this.#rounds]) {
      for (const key of [...map.keys()]) if (key.startsWith(`${session.id}/`)) map.delete(key);
    }
  }
}
