/**
 * WebCrypto inside virtual time. `crypto.subtle` resolves on the host's thread pool, so its completions land at
 * load-dependent points of a run; the key exchange (sealed messages, X25519, AES-GCM, HKDF, SHA-256, HMAC) cannot
 * avoid it. While a {@linkcode HostWork} is installed every `crypto.subtle` call is queued behind the previous one
 * (one at a time, in call order), and the scheduler waits after each event until the queue is empty: the work an
 * event started ends, with all its continuations, before the next event runs, in the same order every run. Such
 * calls take no virtual time, like any other handler code.
 */
export class HostWork implements Disposable {
  /** Calls started and not yet settled. */
  pending = 0;
  /** Calls made so far (a figure of the report). */
  calls = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #idle: Array<() => void> = [];
  readonly #restore: Array<() => void> = [];

  /** Routes every method of `SubtleCrypto` through the queue until disposed. */
  static install(): HostWork {
    const work = new HostWork();
    const proto = SubtleCrypto.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = proto[name];
      if (name === "constructor" || typeof original !== "function") continue;
      proto[name] = function (this: SubtleCrypto, ...args: unknown[]) {
        return work.#queue(() => (original as (...a: unknown[]) => Promise<unknown>).apply(this, args));
      };
      work.#restore.push(() => proto[name] = original);
    }
    return work;
  }

  /** Resolves once no call is pending (at once when none is). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #queue<T>(call: () => Promise<T>): Promise<T> {
    this.pending++;
    this.calls++;
    const result = this.#tail.then(call);
    this.#tail = result.then(noop, noop);
    const settle = () => {
      if (--this.pending === 0) { for (const resolve of this.#idle.splice(0)) resolve(); }
    };
    result.then(settle, settle);
    return result;
  }

  [Symbol.dispose](): void {
    for (const restore of this.#restore.splice(0)) restore();
  }
}

function noop(): void {}
