import assert from "node:assert/strict";
import {
  BASE_SYMBOLS,
  DIAGONAL,
  generateBases,
  generateSpins,
  measure,
  polarize,
  RECTILINEAR,
  SeededRandom,
  zeroProbability,
} from "./mod.ts";

const PLUS = RECTILINEAR;
const CROSS = DIAGONAL;

Deno.test("zeroProbability() is cos² of the angle to the base, folded into 0-90 degrees", () => {
  const cases: [number, number, number][] = [
    [0, PLUS, 1],
    [90, PLUS, 0],
    [45, PLUS, 0.5],
    [135, PLUS, 0.5],
    [45, CROSS, 1],
    [135, CROSS, 0],
    [0, CROSS, 0.5],
    [90, CROSS, 0.5],
    [180, PLUS, 1],
    [30, PLUS, 0.75],
    [120, PLUS, 0.25],
  ];
  for (const [angle, base, expected] of cases) {
    assert.ok(Math.abs(zeroProbability(angle, base) - expected) < 1e-12, `${angle}° in ${BASE_SYMBOLS[base]}`);
  }
});

Deno.test("measure() reads the spin back in the same base and flips a fair coin in the other", () => {
  const random = new SeededRandom(6);
  const spins = generateSpins(10_000, random);
  const bases = generateBases(10_000, random);
  const photons = polarize(spins, bases);
  assert.deepEqual(measure(photons, bases, random), spins);
  const otherBases = bases.map((base) => 1 - base);
  const readings = measure(photons, otherBases, random);
  const agree = readings.reduce((sum, bit, i) => sum + (bit === spins[i] ? 1 : 0), 0);
  assert.ok(Math.abs(agree - 5000) < 250, `${agree} of 10000 agree`);
});
