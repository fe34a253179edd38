/** Calls into a benchmark worker thread: one promise per request, matched by id. */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 0;

  constructor(script: URL) {
    this.#worker = new Worker(script.href, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const { id, result, error } = event.data;
      const pending = this.#pending.get(id)!;
      this.#pending.delete(id);
      if (error === undefined) pending.resolve(result);
      else pending.reject(new Error(error));
    };
  }

  /** Runs `op` in the worker and resolves with its result. */
  call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, op, ...args });
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}
