import assert from "node:assert/strict";
import { pickBits, sift } from "./mod.ts";

Deno.test("sift() keeps the positions where the bases match, ascending, and pickBits() extracts them", () => {
  const positions = sift(Uint8Array.of(0, 1, 1, 0, 1), Uint8Array.of(0, 0, 1, 1, 1));
  assert.deepEqual(positions, Uint32Array.of(0, 2, 4));
  assert.deepEqual(pickBits(Uint8Array.of(1, 0, 0, 1, 1), positions), Uint8Array.of(1, 0, 1));
  assert.throws(() => pickBits(Uint8Array.of(1), positions), {
    name: "RangeError",
    message: "Cannot pick bit 2: the batch holds 1 bits",
  });
  assert.throws(() => sift(new Uint8Array(1), new Uint8Array(2)), RangeError);
});
