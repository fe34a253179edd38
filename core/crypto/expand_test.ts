import assert from "node:assert/strict";
import { expandSeed } from "./mod.ts";

Deno.test("expandSeed() gives the same bytes for the same seed and others for another seed", async () => {
  const seed = new Uint8Array(32).fill(7);
  const a = await expandSeed(seed, 1000);
  assert.equal(a.length, 1000);
  assert.deepEqual(await expandSeed(seed, 1000), a);
  assert.deepEqual(await expandSeed(seed, 10), a.subarray(0, 10), "a prefix of a longer expansion");
  seed[31] = 8;
  assert.notDeepEqual(await expandSeed(seed, 1000), a);
  const ones = a.reduce((sum, byte) => sum + popcount(byte), 0);
  assert.ok(Math.abs(ones - 4000) < 300, `${ones} one bits of 8000`);
});

Deno.test("expandSeed() refuses a seed that is not 32 bytes", async () => {
  await assert.rejects(expandSeed(new Uint8Array(16), 8), {
    name: "TypeError",
    message: "Cannot expand a seed: expected 32 bytes, got 16",
  });
});

function popcount(byte: number): number {
  let count = 0;
  for (; byte; byte >>= 1) count += byte & 1;
  return count;
}
