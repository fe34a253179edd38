import assert from "node:assert/strict";
import { concatBits, packBits, unpackBits } from "./mod.ts";

Deno.test("packBits() puts the first bit in the most significant place and pads the last byte", () => {
  assert.deepEqual(packBits(Uint8Array.of(1, 0, 1, 1, 0, 0, 0, 0, 1, 1)), Uint8Array.of(0b10110000, 0b11000000));
  assert.deepEqual(unpackBits(Uint8Array.of(0b10110000, 0b11000000), 10), Uint8Array.of(1, 0, 1, 1, 0, 0, 0, 0, 1, 1));
  assert.equal(unpackBits(Uint8Array.of(255, 1)).length, 16);
  assert.throws(() => unpackBits(Uint8Array.of(1), 9), {
    name: "RangeError",
    message: "Cannot unpack 9 bits: the input holds 8",
  });
});

Deno.test("concatBits() joins the chunks in order", () => {
  assert.deepEqual(concatBits([Uint8Array.of(1), new Uint8Array(), Uint8Array.of(0, 1)]), Uint8Array.of(1, 0, 1));
});
