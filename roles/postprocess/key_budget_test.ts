import assert from "node:assert/strict";
import { KeyBudget, QberThresholdError, secureKeyLength } from "./mod.ts";

Deno.test("KeyBudget starts with ceil(2.5 · lc) positions and pools what the rounds report", () => {
  const budget = new KeyBudget(101);
  assert.equal(budget.nextBatchPositions(), 253);
  assert.equal(new KeyBudget(100, { keyLengthMultiplier: 4 }).nextBatchPositions(), 400);
  budget.addBatch(253, 130);
  assert.equal(budget.sampleSize(130), 26);
  assert.equal(budget.addSample(26, 1), 1 / 26);
  budget.addReconciled(104, 30);
  budget.addBatch(1000, 500);
  budget.addSample(100, 3);
  budget.addReconciled(400, 90);
  assert.deepEqual(
    [budget.rounds, budget.rawPositions, budget.siftedBits, budget.qber],
    [2, 1253, 630, 4 / 126],
  );
  assert.deepEqual(budget.evidence, { reconciledBits: 504, sampleBits: 126, sampleErrors: 4, leakage: 120 });
  assert.equal(budget.secureBits, secureKeyLength(budget.evidence));
});

Deno.test("KeyBudget.addSample() throws QberThresholdError when the pooled QBER passes the threshold", () => {
  const budget = new KeyBudget(128, { qberThreshold: 0.05 });
  budget.addSample(100, 4);
  assert.throws(() => budget.addSample(100, 8), (error) => {
    assert.ok(error instanceof QberThresholdError);
    assert.equal(error.qber, 0.06);
    assert.equal(error.threshold, 0.05);
    assert.equal(error.sampleBits, 200);
    return true;
  });
});

Deno.test("KeyBudget.nextBatchPositions() asks for enough positions to reach the key, projected from the yield", () => {
  const budget = new KeyBudget(1000);
  budget.addBatch(2500, 1250);
  budget.addSample(250, 5);
  budget.addReconciled(1000, 150);
  assert.equal(budget.complete, false);
  const next = budget.nextBatchPositions();
  // The projection, scaled to all positions, just reaches the target (with 10 % headroom on the extra positions).
  const scaled = (extra: number) => {
    const f = (2500 + extra) / 2500;
    return secureKeyLength({ reconciledBits: 1000 * f, sampleBits: 250 * f, sampleErrors: 5 * f, leakage: 150 * f });
  };
  assert.ok(scaled(next / 1.1) >= 1000 && scaled(next / 1.1 - 2) < 1000, `next ${next}`);
  budget.addBatch(next, next / 2);
  budget.addSample(next / 10, next / 500);
  budget.addReconciled((next * 4) / 10, (next * 6) / 100);
  assert.equal(budget.complete, true);
});

Deno.test("KeyBudget.nextBatchPositions() asks for at least a quarter of the positions spent so far", () => {
  const evidence = { reconciledBits: 4000, sampleBits: 1000, sampleErrors: 0, leakage: 100 };
  const budget = new KeyBudget(secureKeyLength(evidence) + 1);
  budget.addBatch(10_000, 5000);
  budget.addSample(1000, 0);
  budget.addReconciled(4000, 100);
  assert.equal(budget.nextBatchPositions(), 2500);
});

Deno.test("KeyBudget.nextBatchPositions() doubles the material when no yield is in sight", () => {
  const budget = new KeyBudget(1000);
  budget.addBatch(2500, 1250);
  budget.addSample(250, 25);
  budget.addReconciled(1000, 800);
  assert.equal(budget.nextBatchPositions(), 2500);
});

Deno.test("KeyBudget refuses a bad key length or option", () => {
  assert.throws(() => new KeyBudget(0), {
    name: "RangeError",
    message: "Cannot plan a key of 0 bits: expected a positive integer",
  });
  assert.throws(() => new KeyBudget(8, { sampleFraction: 1 }), {
    name: "RangeError",
    message: "Cannot plan a key: sampleFraction must be within 0-1 (exclusive), got 1",
  });
  assert.throws(() => new KeyBudget(8, { keyLengthMultiplier: 0 }), RangeError);
  assert.throws(() => new KeyBudget(8, { securityEpsilon: 0 }), RangeError);
});
