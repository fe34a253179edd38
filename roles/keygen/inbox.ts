/**
 * Where role data waits for the job that needs it: values keyed by session, batch, name and the proven identity of
 * their sender, which may arrive before or after the command that consumes them, and waits that end when every
 * needed value is in from the sender the assignment names. There is no "first copy wins": a copy from anyone else
 * is dropped and reported, whether it arrives before the wait or after.
 */
import type { RejectReason } from "./rejections.ts";
import { runtime } from "../../core/runtime/mod.ts";

/** Raised when the values a job needs do not all arrive in time. */
export class InboxTimeoutError extends Error {
  override name = "InboxTimeoutError";
  constructor(readonly batch: string, readonly missing: readonly string[], readonly timeoutMs: number) {
    super(`Cannot complete batch ${batch}: ${missing.join(", ")} did not arrive within ${timeoutMs} ms`);
  }
}

interface Slot {
  /** Values by `name@sender`. */
  values: Map<string, Uint8Array>;
  /** The sender expected for each name, once a job waits for the batch. */
  expected?: ReadonlyMap<string, string>;
  touchedMs: number;
  wake?: () => void;
}

/** Options of {@linkcode Inbox}. */
export interface InboxOptions {
  /** Values nobody waits for are dropped this long after they arrived. @default {60000} */
  ttlMs?: number;
  /** Most values one batch holds before its waiter comes (a flood of copies is dropped). @default {16} */
  maxValuesPerBatch?: number;
  /** Told of every value dropped. */
  onReject?: (reason: RejectReason, detail: string) => void;
}

/** The senders a job expects: name → sender identity (hex). */
export type ExpectedSenders = Readonly<Record<string, string>>;

/**
 * The role data a node holds. Stale values are swept when new ones arrive, so no timer runs while nothing waits.
 *
 * @example
 * ```ts
 * import { Inbox } from "./mod.ts";
 * const inbox = new Inbox();
 * const waiting = inbox.take("s1", "b1", { spins: "qsg" }, { timeoutMs: 1000 });
 * console.assert(inbox.put("s1", "b1", "spins", "stranger", Uint8Array.of(0, 0)) === "unexpected_sender");
 * inbox.put("s1", "b1", "spins", "qsg", Uint8Array.of(1, 0));
 * console.assert((await waiting).spins!.join() === "1,0");
 * ```
 */
export class Inbox {
  readonly #slots = new Map<string, Slot>();
  /** Batches already taken, with their expected senders: late copies are refused, not kept. */
  readonly #closed = new Map<string, { expected: ReadonlyMap<string, string>; atMs: number }>();
  readonly #ttlMs: number;
  readonly #maxValues: number;
  readonly #onReject: (reason: RejectReason, detail: string) => void;

  constructor(options: InboxOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxValues = options.maxValuesPerBatch ?? 16;
    this.#onReject = options.onReject ?? (() => {});
  }

  /** Number of batches holding values or waits. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Stores a value from `sender` (a proven identity, hex) and wakes the job waiting for the batch.
   * @returns "accepted", or why the value was dropped (also reported to `onReject`)
   */
  put(session: string, batch: string, name: string, sender: string, value: Uint8Array): "accepted" | RejectReason {
    this.#sweep();
    const detail = `${name} of batch ${batch.slice(0, 12)} from ${sender.slice(0, 16)}`;
    const closed = this.#closed.get(`${session}/${batch}`);
    if (closed !== undefined) {
      const reason = closed.expected.get(name) === sender ? "replay" : "unexpected_sender";
      this.#onReject(reason, detail);
      return reason;
    }
    const slot = this.#slot(session, batch);
    const reason = slot.expected !== undefined && slot.expected.get(name) !== sender
      ? "unexpected_sender"
      : slot.values.has(`${name}@${sender}`)
      ? "replay"
      : slot.values.size >= this.#maxValues
      ? "unexpected_sender"
      : undefined;
    if (reason !== undefined) {
      this.#onReject(reason, detail);
      return reason;
    }
    slot.values.set(`${name}@${sender}`, value);
    slot.touchedMs = runtime.now();
    slot.wake?.();
    return "accepted";
  }

  /**
   * Waits until every value of `expected` is in for the batch from the sender it names, then removes the batch and
   * returns them. Values from other senders held for the batch are dropped and reported.
   *
   * @throws {InboxTimeoutError} when they are not all in within `timeoutMs` (the batch's values are dropped)
   */
  take(
    session: string,
    batch: string,
    expected: ExpectedSenders,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Record<string, Uint8Array>> {
    const key = `${session}/${batch}`;
    const slot = this.expect(session, batch, expected);
    const names = Object.keys(expected);
    const wanted = new Set(names.map((n) => `${n}@${expected[n]}`));
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, Uint8Array>>();
    const finish = () => {
      runtime.clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      this.#slots.delete(key);
      this.#closed.set(key, { expected: slot.expected!, atMs: runtime.now() });
    };
    const check = () => {
      if (![...wanted].every((n) => slot.values.has(n))) return;
      finish();
      resolve(Object.fromEntries(names.map((n) => [n, slot.values.get(`${n}@${expected[n]}`)!])));
    };
    const onAbort = () => {
      finish();
      reject(options.signal!.reason);
    };
    const timer = runtime.setTimeout(() => {
      finish();
      reject(
        new InboxTimeoutError(batch, names.filter((n) => !slot.values.has(`${n}@${expected[n]}`)), options.timeoutMs),
      );
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    slot.wake = check;
    if (options.signal?.aborted) onAbort();
    else check();
    return promise;
  }

  /**
   * Names the sender of each value of a batch before its wait starts (Alice knows them when she assigns the
   * batch): from then on a copy from anyone else is refused on arrival, and the ones held are dropped now.
   */
  expect(session: string, batch: string, expected: ExpectedSenders): Slot {
    const slot = this.#slot(session, batch);
    const wanted = new Set(Object.entries(expected).map(([n, sender]) => `${n}@${sender}`));
    slot.expected = new Map(Object.entries(expected));
    for (const held of [...slot.values.keys()]) {
      if (wanted.has(held)) continue;
      slot.values.delete(held);
      this.#onReject("unexpected_sender", `${held.slice(0, 40)} of batch ${batch.slice(0, 12)}`);
    }
    return slot;
  }

  /** Drops every batch of a session (values and waits alike: waits then time out on their own). */
  dropSession(session: string): void {
    for (const key of [...this.#slots.keys()]) if (key.startsWith(`${session}/`)) this.#slots.delete(key);
  }

  #slot(session: string, batch: string): Slot {
    const key = `${session}/${batch}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = { values: new Map(), touchedMs: runtime.now() };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  #sweep(): void {
    const oldest = runtime.now() - this.#ttlMs;
    for (const [key, closed] of this.#closed) {
      if (closed.atMs >= oldest) break;
      this.#closed.delete(key);
    }
    for (const [key, slot] of this.#slots) {
      if (slot.wake === undefined && slot.touchedMs < oldest) this.#slots.delete(key);
    }
  }
}
