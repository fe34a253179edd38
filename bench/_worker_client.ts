/** Calls into a benchmark worker thread: one promise per request, matched by id. */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  /** Resolves when the worker has registered its handler (see serveOperations). */
  readonly #ready: Promise<void>;

  constructor(script: URL) {
    this.#worker = new Worker(script.href, { type: "module" });
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#ready = promise;
    this.#worker.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string; ready?: true }>) => {
      if (event.data.ready) return resolve();
      const { id, result, error } = event.data;
      const pending = this.#pending.get(id)!;
      this.#pending.delete(id);
      if (error === undefined) pending.resolve(result);
      else pending.reject(new Error(error));
    };
  }

  /** Runs `op` in the worker and resolves with its result. */
  async call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    await this.#ready;
    const id = this.#nextId++;
    return await new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, op, ...args });
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}
