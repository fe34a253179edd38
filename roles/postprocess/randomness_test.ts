import assert from "node:assert/strict";
import { randomBits, SeededRandom } from "../quantum/mod.ts";
import { erfc, monobitTest, runsTest } from "./mod.ts";

/** The 100-bit example of NIST SP 800-22 §2.1.8 and §2.3.8 (the first digits of π in binary). */
const NIST_EXAMPLE = Uint8Array.from(
  "1100100100001111110110101010001000100001011010001100001000110100110001001100011001100010100010111000",
  Number,
);

Deno.test("monobitTest() and runsTest() reproduce the p-values of NIST SP 800-22's worked example", () => {
  const monobit = monobitTest(NIST_EXAMPLE);
  assert.ok(Math.abs(monobit.pValue - 0.109599) < 1e-5, `monobit p ${monobit.pValue}`);
  assert.equal(monobit.passed, true);
  const runs = runsTest(NIST_EXAMPLE);
  assert.ok(Math.abs(runs.pValue - 0.500798) < 1e-5, `runs p ${runs.pValue}`);
  assert.equal(runs.passed, true);
});

Deno.test("monobitTest() and runsTest() reject biased and too regular sequences", () => {
  const biased = randomBits(10_000, new SeededRandom(1)).map((bit, i) => i % 20 === 0 ? 1 : bit);
  assert.equal(monobitTest(biased).passed, false);
  assert.equal(runsTest(biased).pValue, 0, "the runs test's frequency prerequisite fails");
  const alternating = Uint8Array.from({ length: 1000 }, (_, i) => i & 1);
  assert.equal(monobitTest(alternating).passed, true);
  assert.equal(runsTest(alternating).passed, false);
  const random = randomBits(10_000, new SeededRandom(2));
  assert.equal(monobitTest(random).passed, true);
  assert.equal(runsTest(random).passed, true);
});

Deno.test("monobitTest() and runsTest() need at least 100 bits", () => {
  assert.throws(() => monobitTest(new Uint8Array(99)), {
    name: "RangeError",
    message: "Cannot run the monobit test: it needs at least 100 bits, got 99",
  });
  assert.throws(() => runsTest(new Uint8Array(10)), RangeError);
});

Deno.test("erfc() matches known values", () => {
  for (const [x, expected] of [[0, 1], [0.5, 0.4795001222], [1, 0.1572992071], [2, 0.0046777350], [-1, 1.8427007929]]) {
    assert.ok(Math.abs(erfc(x!) - expected!) < 2e-7, `erfc(${x})`);
  }
});
