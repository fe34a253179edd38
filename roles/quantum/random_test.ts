import assert from "node:assert/strict";
import { cryptoRandom, randomBelow, randomBits, randomPermutation, randomUnits, SeededRandom } from "./mod.ts";

Deno.test("SeededRandom replays its stream from the same seed, number or bytes", () => {
  const draw = (seed: number | Uint8Array) => {
    const bytes = new Uint8Array(37);
    new SeededRandom(seed).fill(bytes);
    return bytes;
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  assert.deepEqual(draw(new Uint8Array([1, 2, 3])), draw(new Uint8Array([1, 2, 3])));
  assert.notDeepEqual(draw(new Uint8Array([1, 2, 3])), draw(new Uint8Array([1, 2, 3, 0])), "the length counts");
  assert.notDeepEqual(draw(2 ** 32), draw(0), "the high bits of a number count");
});

Deno.test("randomBits() and randomUnits() are roughly uniform", () => {
  const random = new SeededRandom(1);
  const bits = randomBits(20_000, random);
  assert.ok(bits.every((bit) => bit === 0 || bit === 1));
  const ones = bits.reduce((sum, bit) => sum + bit, 0);
  assert.ok(Math.abs(ones - 10_000) < 300, `${ones} ones`);
  const units = randomUnits(20_000, random);
  assert.ok(units.every((u) => u >= 0 && u < 1));
  const mean = units.reduce((sum, u) => sum + u, 0) / units.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
});

Deno.test("randomBelow() stays below its bound and hits every value", async (t) => {
  const random = new SeededRandom(2);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[randomBelow(7, random)]++;
  assert.ok(counts.every((count) => count > 850 && count < 1150), counts.join());
  assert.equal(randomBelow(1, random), 0);
  await t.step("refuses a bound that is not a positive integer", () => {
    assert.throws(() => randomBelow(0, random), {
      name: "RangeError",
      message: "Cannot draw a random integer: bound must be an integer in 1-2^32, got 0",
    });
    assert.throws(() => randomBelow(2.5, random), RangeError);
  });
});

Deno.test("randomPermutation() holds each index once", () => {
  const order = randomPermutation(1000, new SeededRandom(3));
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual([...order], Array.from({ length: 1000 }, (_, i) => i));
});

Deno.test("cryptoRandom fills more than one getRandomValues call can", () => {
  const bytes = new Uint8Array(200_000);
  cryptoRandom.fill(bytes);
  assert.ok(bytes.subarray(150_000).some((byte) => byte !== 0));
});
