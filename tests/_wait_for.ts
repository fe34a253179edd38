/**
 * The one way tests (and the fault benchmark) wait for something that happens on its own time: a datagram read, a
 * fire-and-forget RPC's effect, a cluster that reconverges, Prometheus that scraped.
 *
 * @module
 */

/** Raised by {@linkcode waitFor} when the condition did not hold in time; `cause` is the check's last error. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** What is awaited, for the error: "waiting until <what>". */
  what: string;
  /** Pause between two checks. @default {10} */
  everyMs?: number;
}

/**
 * Runs `check` until it returns a truthy value, and resolves with that value. A check that throws counts as not
 * yet (its error becomes the timeout's `cause`).
 *
 * @throws {WaitTimeoutError} when `timeoutMs` passed first
 * @example
 * ```ts
 * import { waitFor } from "./_wait_for.ts";
 * const since = Date.now();
 * const value = await waitFor(() => Date.now() - since >= 20 && "done", { timeoutMs: 1000, what: "20 ms passed" });
 * console.assert(value === "done");
 * ```
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, undefined | null | false | 0 | "">> {
  const { timeoutMs, what, everyMs = 10 } = options;
  const deadline = performance.now() + timeoutMs;
  let failure: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, undefined | null | false | 0 | "">;
    } catch (error) {
      failure = error;
    }
    if (performance.now() >= deadline) {
      throw new WaitTimeoutError(`Timed out after ${timeoutMs} ms waiting until ${what}`, { cause: failure });
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
