import assert from "node:assert/strict";
import { BASE_SYMBOLS, generateBases, generateSpins, SeededRandom } from "./mod.ts";

Deno.test("generateSpins() and generateBases() draw one bit per position from the source", () => {
  assert.deepEqual(BASE_SYMBOLS, ["+", "x"]);
  const spins = generateSpins(1000, new SeededRandom(5));
  assert.equal(spins.length, 1000);
  assert.deepEqual(generateBases(1000, new SeededRandom(5)), spins, "same source, same draws");
});
