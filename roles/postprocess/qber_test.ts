import assert from "node:assert/strict";
import { checkQber, chooseSample, countErrors, QberThresholdError, splitSample } from "./mod.ts";

Deno.test("chooseSample() draws the same distinct ascending positions from the same seed", () => {
  const seed = Uint8Array.of(9, 9, 9);
  const sample = chooseSample(1000, 200, seed);
  assert.deepEqual(chooseSample(1000, 200, seed), sample);
  assert.equal(new Set(sample).size, 200);
  assert.ok(sample.every((p, i) => p < 1000 && (i === 0 || p > sample[i - 1]!)));
  assert.notDeepEqual(chooseSample(1000, 200, Uint8Array.of(9, 9, 8)), sample);
  assert.equal(chooseSample(10, 0, 1).length, 0);
  assert.throws(() => chooseSample(10, 11, 1), {
    name: "RangeError",
    message: "Cannot choose a sample of 11 among 10 bits",
  });
});

Deno.test("splitSample() separates the sampled bits from the kept ones, both in order", () => {
  const { sampled, kept } = splitSample(Uint8Array.of(1, 0, 0, 1, 1, 0), Uint32Array.of(1, 3, 4));
  assert.deepEqual(sampled, Uint8Array.of(0, 1, 1));
  assert.deepEqual(kept, Uint8Array.of(1, 0, 0));
});

Deno.test("countErrors() counts disagreements and refuses arrays of different lengths", () => {
  assert.equal(countErrors(Uint8Array.of(1, 0, 1, 1), Uint8Array.of(1, 1, 1, 0)), 2);
  assert.throws(() => countErrors(new Uint8Array(2), new Uint8Array(3)), {
    name: "RangeError",
    message: "Cannot compare 2 bits with 3",
  });
});

Deno.test("checkQber() returns the QBER and throws QberThresholdError above the threshold", () => {
  assert.equal(checkQber(11, 100), 0.11);
  assert.equal(checkQber(0, 0), 0);
  assert.throws(() => checkQber(25, 100), (error) => {
    assert.ok(error instanceof QberThresholdError);
    assert.equal(
      error.message,
      "Cannot continue the session: QBER 0.250 exceeds the threshold 0.11 (estimated on 100 sample bits)",
    );
    assert.deepEqual([error.qber, error.threshold, error.sampleBits], [0.25, 0.11, 100]);
    return true;
  });
  assert.throws(() => checkQber(6, 100, 0.05), QberThresholdError);
});
