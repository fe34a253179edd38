import assert from "node:assert/strict";
import { runQuantumBatch, SeededRandom } from "./mod.ts";

function errorRate(a: Uint8Array, b: Uint8Array): number {
  return a.reduce((sum, bit, i) => sum + (bit !== b[i] ? 1 : 0), 0) / a.length;
}

Deno.test("runQuantumBatch() sifts about half the positions, with the error rate the channel causes", async (t) => {
  await t.step("a clean link gives identical bits", () => {
    const batch = runQuantumBatch(20_000, { random: new SeededRandom(8) });
    assert.ok(Math.abs(batch.positions.length - 10_000) < 300, `${batch.positions.length} sifted`);
    assert.deepEqual(batch.aliceBits, batch.bobBits);
  });
  await t.step("noise p gives an error rate of p", () => {
    const batch = runQuantumBatch(20_000, { noise: 0.05, random: new SeededRandom(9) });
    const rate = errorRate(batch.aliceBits, batch.bobBits);
    assert.ok(Math.abs(rate - 0.05) < 0.01, `error rate ${rate}`);
  });
  await t.step("Eve on every photon gives an error rate of 25 %", () => {
    const batch = runQuantumBatch(20_000, { eve: 1, random: new SeededRandom(10) });
    const rate = errorRate(batch.aliceBits, batch.bobBits);
    assert.ok(Math.abs(rate - 0.25) < 0.015, `error rate ${rate}`);
  });
  await t.step("Eve on half the photons gives 12.5 %", () => {
    const batch = runQuantumBatch(20_000, { eve: 0.5, random: new SeededRandom(11) });
    const rate = errorRate(batch.aliceBits, batch.bobBits);
    assert.ok(Math.abs(rate - 0.125) < 0.015, `error rate ${rate}`);
  });
});
