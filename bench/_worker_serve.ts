/// <reference lib="deno.worker" />
/**
 * The receiving end of {@linkcode WorkerClient}: a benchmark worker thread serves named operations. Messages:
 * `{ id, op, ...args }` in, `{ id, result | error }` out.
 */
export function serveOperations(operations: Record<string, (args: Record<string, unknown>) => unknown>): void {
  self.onmessage = async (event: MessageEvent<{ id: number; op: string } & Record<string, unknown>>) => {
    const { id, op, ...args } = event.data;
    try {
      self.postMessage({ id, result: await operations[op]!(args) });
    } catch (error) {
      self.postMessage({ id, error: String(error) });
    }
  };
  // Messages posted before a handler exists are lost, and a module with a top-level await (libsodium's start-up)
  // registers it late: the client waits for this before its first call.
  self.postMessage({ ready: true });
}
