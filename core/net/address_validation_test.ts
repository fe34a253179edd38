import assert from "node:assert/strict";
import { AddressValidation, FAILED_PROBE_MEMORY_MS, PROBE_BACKOFF_MS } from "./address_validation.ts";

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("an address whose probe failed is probed again after 2 s, then after twice as long each time, up to a minute", async () => {
  let now = 0;
  let probes = 0;
  let answer = false;
  const validation: AddressValidation = new AddressValidation({
    probe: (peer) => {
      probes++;
      if (!answer) return Promise.reject(new Error("no answer"));
      validation.proven(peer); // as the transport does on any answer from the address
      return Promise.resolve(true);
    },
    send: () => {},
    onDropped: () => {},
    now: () => now,
  });
  const requester = { host: "127.0.0.1", port: 4000 };
  const probedAt: number[] = [];
  // A requester that keeps asking, once a second, from an address that never answers the probe.
  for (now = 0; now <= 200_000; now += 1000) {
    const before = probes;
    validation.validate(requester);
    await macrotask();
    await macrotask();
    if (probes > before) probedAt.push(now);
  }
  const waits = probedAt.slice(1).map((t, i) => t - probedAt[i]!);
  assert.deepEqual(waits.slice(0, 6), [2000, 4000, 8000, 16_000, 32_000, 60_000], `probed at ${probedAt}`);
  assert.ok(waits.every((w) => w <= FAILED_PROBE_MEMORY_MS), "never longer than a minute");
  assert.equal(waits[0], PROBE_BACKOFF_MS);

  // Once it answers (its process was only stalled), it is proven and needs no probe again.
  answer = true;
  now += FAILED_PROBE_MEMORY_MS;
  validation.validate(requester);
  await macrotask();
  await macrotask();
  assert.ok(validation.isProven(requester));
  const settled = probes;
  validation.validate(requester);
  await macrotask();
  assert.equal(probes, settled);
});
