import assert from "node:assert/strict";
import { polarize, SeededRandom, transmit } from "./mod.ts";

Deno.test("transmit() without noise or Eve delivers every photon unchanged, in a new array", () => {
  const photons = Uint8Array.of(0, 45, 90, 135);
  const out = transmit(photons);
  assert.deepEqual(out, photons);
  assert.notEqual(out, photons);
});

Deno.test("transmit() flips a share `noise` of the photons to the orthogonal polarization", () => {
  const photons = polarize(new Uint8Array(20_000), new Uint8Array(20_000).fill(1));
  const out = transmit(photons, { noise: 0.1, random: new SeededRandom(7) });
  const flipped = out.filter((angle) => angle === 135).length;
  assert.ok(out.every((angle) => angle === 45 || angle === 135));
  assert.ok(Math.abs(flipped - 2000) < 150, `${flipped} of 20000 flipped`);
});

Deno.test("transmit() refuses rates outside 0-1", () => {
  assert.throws(() => transmit(new Uint8Array(1), { noise: 1.5 }), {
    name: "RangeError",
    message: "Cannot transmit: noise must be within 0-1, got 1.5",
  });
  assert.throws(() => transmit(new Uint8Array(1), { eve: -0.1 }), RangeError);
  assert.throws(() => transmit(new Uint8Array(1), { eve: NaN }), RangeError);
});
