import assert from "node:assert/strict";
import { binaryEntropy, qberUpperBound, secureKeyLength } from "./mod.ts";

const close = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

Deno.test("binaryEntropy() is 1 at one half, 0 at the ends and symmetric", () => {
  assert.equal(binaryEntropy(0.5), 1);
  assert.equal(binaryEntropy(0), 0);
  assert.equal(binaryEntropy(1), 0);
  close(binaryEntropy(0.11), 0.4999, 1e-4);
  close(binaryEntropy(0.03), binaryEntropy(0.97), 1e-12);
});

Deno.test("qberUpperBound() bounds the kept bits' error rate above the observed one, closing in as the sample grows", () => {
  // The protocol samples a fifth of the sifted bits: k sample bits leave n = 4k kept bits.
  const bound = (sampleBits: number, sampleErrors: number) =>
    qberUpperBound({ reconciledBits: 4 * sampleBits, leakage: 0, sampleBits, sampleErrors });
  // An error-free sample of k bits bounds the rate of all 5k bits near ln(2/ε)/k (Chernoff at ε/2); the kept 4k
  // bits hold all those errors, so their rate is bounded 5/4 as high.
  close(bound(1000, 0), 1.25 * Math.log(2e9) / 1000, 3e-4);
  assert.ok(bound(1000, 30) > 0.03 && bound(1000, 30) < bound(500, 15) && bound(500, 15) < bound(100, 3));
  close(bound(1e7, 3e5), 0.03, 1e-3);
  assert.equal(bound(0, 0), 0.5);
  assert.equal(bound(10, 0), 0.5, "10 bits say nothing at ε = 1e-9");
  assert.equal(bound(100, 60), 0.5);
  assert.ok(
    qberUpperBound({ reconciledBits: 4000, leakage: 0, sampleBits: 1000, sampleErrors: 0 }, {
      securityEpsilon: 1e-3,
    }) < bound(1000, 0),
  );
});

Deno.test("qberUpperBound() applies the finite-population (Serfling) correction of sampling without replacement", () => {
  const rate = (reconciledBits: number) =>
    qberUpperBound({ reconciledBits, leakage: 0, sampleBits: 1000, sampleErrors: 100 });
  // The bound is on the bits left out of the sample: the fewer they are, the more their rate may differ from the
  // sample's (a few bits could hold every error the sample allows), down to the rate of a very large string.
  assert.ok(rate(250) > rate(1000) && rate(1000) > rate(100_000), `${rate(250)} ${rate(1000)} ${rate(100_000)}`);
  assert.ok(rate(100_000) > 0.1 && rate(100_000) < 0.18, `rate ${rate(100_000)}`);
  // Sampled as a whole, the string's rate is all but known (Serfling's factor 1 − (k−1)/N is 1/N).
  close(qberUpperBound({ reconciledBits: 0, leakage: 0, sampleBits: 1000, sampleErrors: 30 }), 0.03, 0.005);
});

Deno.test("secureKeyLength() subtracts phase information, leakage, tag and margin", () => {
  const evidence = { reconciledBits: 10_000, sampleBits: 2_500, sampleErrors: 75, leakage: 2_000 };
  const expected = 10_000 * (1 - binaryEntropy(qberUpperBound(evidence))) - 2_000 - 64 - 2 * Math.log2(1e9);
  assert.equal(secureKeyLength(evidence), Math.floor(expected));
  assert.equal(secureKeyLength(evidence, { confirmationBits: 32 }), Math.floor(expected + 32));
  assert.equal(secureKeyLength({ ...evidence, sampleErrors: 500 }), 0, "20 % errors leave nothing");
  assert.equal(secureKeyLength({ reconciledBits: 0, sampleBits: 0, sampleErrors: 0, leakage: 0 }), 0);
});
