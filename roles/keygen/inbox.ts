import { runtime } from "../../core/runtime/mod.ts";
/**
 * Where role data waits for the job that needs it: values keyed by session, batch and name, which may arrive
 * before or after the command that consumes them, and waits that end when every needed value is in.
 */

/** Raised when the values a job needs do not all arrive in time. */
export class InboxTimeoutError extends Error {
  override name = "InboxTimeoutError";
  constructor(readonly batch: string, readonly missing: readonly string[], readonly timeoutMs: number) {
    super(`Cannot complete batch ${batch}: ${missing.join(", ")} did not arrive within ${timeoutMs} ms`);
  }
}

interface Slot {
  values: Map<string, Uint8Array>;
  touchedMs: number;
  wake?: () => void;
}

/** Options of {@linkcode Inbox}. */
export interface InboxOptions {
  /** Values nobody waits for are dropped this long after they arrived. @default {60000} */
  ttlMs?: number;
}

/**
 * The role data a node holds. Stale values are swept when new ones arrive, so no timer runs while nothing waits.
 *
 * @example
 * ```ts
 * import { Inbox } from "./mod.ts";
 * const inbox = new Inbox();
 * const waiting = inbox.take("s1", "0.0.0", ["spins"], { timeoutMs: 1000 });
 * inbox.put("s1", "0.0.0", "spins", Uint8Array.of(1, 0));
 * console.assert((await waiting).spins!.join() === "1,0");
 * ```
 */
export class Inbox {
  readonly #slots = new Map<string, Slot>();
  readonly #ttlMs: number;

  constructor(options: InboxOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
  }

  /** Number of batches holding values or waits. */
  get size(): number {
    return this.#slots.size;
  }

  /** Stores a value (the first copy wins) and wakes the job waiting for the batch. */
  put(session: string, batch: string, name: string, value: Uint8Array): void {
    this.#sweep();
    const slot = this.#slot(session, batch);
    if (!slot.values.has(name)) slot.values.set(name, value);
    slot.touchedMs = runtime.now();
    slot.wake?.();
  }

  /**
   * Waits until every value of `names` is in for the batch, then removes the batch and returns them.
   *
   * @throws {InboxTimeoutError} when they are not all in within `timeoutMs` (the batch's values are dropped)
   */
  take(
    session: string,
    batch: string,
    names: readonly string[],
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<Record<string, Uint8Array>> {
    const key = `${session}/${batch}`;
    const slot = this.#slot(session, batch);
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, Uint8Array>>();
    const finish = () => {
      runtime.clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      this.#slots.delete(key);
    };
    const check = () => {
      if (!names.every((n) => slot.values.has(n))) return;
      finish();
      resolve(Object.fromEntries(names.map((n) => [n, slot.values.get(n)!])));
    };
    const onAbort = () => {
      finish();
      reject(options.signal!.reason);
    };
    const timer = runtime.setTimeout(() => {
      finish();
      reject(new InboxTimeoutError(batch, names.filter((n) => !slot.values.has(n)), options.timeoutMs));
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    slot.wake = check;
    if (options.signal?.aborted) onAbort();
    else check();
    return promise;
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
    for (const [key, slot] of this.#slots) {
      if (slot.wake === undefined && slot.touchedMs < oldest) this.#slots.delete(key);
    }
  }
}
