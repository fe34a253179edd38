import assert from "node:assert/strict";
import { randomBelow, randomBits, SeededRandom } from "../quantum/mod.ts";
import { privacyAmplify, toeplitzHash } from "./mod.ts";

/** T·x straight from the definition T[i][j] = d[i − j + n − 1]. */
function naiveToeplitz(input: Uint8Array, diagonals: Uint8Array, m: number): Uint8Array {
  const n = input.length;
  return Uint8Array.from({ length: m }, (_, i) => {
    let bit = 0;
    for (let j = 0; j < n; j++) bit ^= diagonals[i - j + n - 1]! & input[j]!;
    return bit;
  });
}

const xor = (a: Uint8Array, b: Uint8Array) => a.map((bit, i) => bit ^ b[i]!);

Deno.test("toeplitzHash() equals the matrix product over GF(2)", () => {
  const random = new SeededRandom(21);
  for (const [n, m] of [[1, 1], [31, 7], [32, 32], [33, 1], [100, 64], [257, 200], [1000, 999]] as const) {
    const input = randomBits(n, random);
    const diagonals = randomBits(n + m - 1, random);
    assert.deepEqual(toeplitzHash(input, diagonals, m), naiveToeplitz(input, diagonals, m), `${n} → ${m}`);
  }
});

Deno.test("toeplitzHash() of long keys (through the FFT) equals the matrix product, bit for bit where checked", () => {
  const random = new SeededRandom(24);
  // 100,001 + 31,073 − 1 = 2¹⁷ + 1 terms to keep: a circular convolution of 2¹⁷ would wrap onto the last bits read.
  for (const [n, m] of [[20_000, 8_192], [140_000, 65_536], [100_001, 31_073]] as const) {
    const input = randomBits(n, random);
    const diagonals = randomBits(n + m - 1, random);
    const hashed = toeplitzHash(input, diagonals, m);
    assert.equal(hashed.length, m);
    // Every bit from the definition would take n·m steps: the first and last bits, and 300 drawn ones.
    const checked = [0, 1, m - 2, m - 1, ...Array.from({ length: 300 }, () => randomBelow(m, random))];
    for (const i of checked) {
      let bit = 0;
      for (let j = 0; j < n; j++) bit ^= diagonals[i - j + n - 1]! & input[j]!;
      assert.equal(hashed[i], bit, `${n} → ${m}: output bit ${i}`);
    }
  }
});

Deno.test("toeplitzHash() is linear: H(x ⊕ y) = H(x) ⊕ H(y)", () => {
  const random = new SeededRandom(22);
  const diagonals = randomBits(2000 + 700 - 1, random);
  for (let i = 0; i < 10; i++) {
    const x = randomBits(2000, random);
    const y = randomBits(2000, random);
    assert.deepEqual(
      toeplitzHash(xor(x, y), diagonals, 700),
      xor(toeplitzHash(x, diagonals, 700), toeplitzHash(y, diagonals, 700)),
    );
  }
  assert.deepEqual(toeplitzHash(new Uint8Array(2000), diagonals, 700), new Uint8Array(700), "zero maps to zero");
});

Deno.test("toeplitzHash() refuses to lengthen and checks the diagonal count", () => {
  assert.throws(() => toeplitzHash(new Uint8Array(10), new Uint8Array(20), 11), {
    name: "RangeError",
    message: "Cannot hash 10 bits to 11: the output must be 0-10 bits",
  });
  assert.throws(() => toeplitzHash(new Uint8Array(10), new Uint8Array(10), 4), {
    name: "RangeError",
    message: "Cannot hash 10 bits to 4: expected 13 diagonal bits, got 10",
  });
  assert.deepEqual(toeplitzHash(new Uint8Array(10), new Uint8Array(), 0), new Uint8Array());
});

Deno.test("privacyAmplify() gives exactly the requested length, the same for the same seed", async () => {
  const random = new SeededRandom(23);
  const key = randomBits(5000, random);
  const seed = new Uint8Array(32).fill(5);
  const out = await privacyAmplify(key, 4096, seed);
  assert.equal(out.length, 4096);
  assert.deepEqual(await privacyAmplify(key.slice(), 4096, seed.slice()), out);
  const otherSeed = seed.slice();
  otherSeed[0] = 6;
  assert.notDeepEqual(await privacyAmplify(key, 4096, otherSeed), out);
  const flipped = key.slice();
  flipped[4999]! ^= 1;
  const changed = xor(await privacyAmplify(flipped, 4096, seed), out).reduce((sum, bit) => sum + bit, 0);
  assert.ok(changed > 1800 && changed < 2300, `one input bit changed ${changed} of 4096 output bits`);
  assert.equal((await privacyAmplify(key, 0, seed)).length, 0);
});
