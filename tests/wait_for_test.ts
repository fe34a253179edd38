import assert from "node:assert/strict";
import { waitFor, WaitTimeoutError } from "./_wait_for.ts";

Deno.test("waitFor() resolves with the check's first truthy value, checking again until then", async () => {
  let calls = 0;
  const value = await waitFor(() => ++calls === 3 ? { calls } : undefined, { timeoutMs: 5000, what: "the third call" });
  assert.deepEqual(value, { calls: 3 });
});

Deno.test("waitFor() names what it waited for when time runs out, the check's last error as the cause", async () => {
  const failure = new Error("not reachable yet");
  const error = await waitFor(() => Promise.reject(failure), { timeoutMs: 30, what: "the node answers" })
    .then(() => undefined, (error: unknown) => error);
  assert.ok(error instanceof WaitTimeoutError);
  assert.equal(error.message, "Timed out after 30 ms waiting until the node answers");
  assert.equal(error.cause, failure);
});
