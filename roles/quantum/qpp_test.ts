import assert from "node:assert/strict";
import { DIAGONAL, polarize, RECTILINEAR } from "./mod.ts";

const PLUS = RECTILINEAR;
const CROSS = DIAGONAL;

Deno.test("polarize() maps (spin, base) to 0, 90, 45 and 135 degrees", () => {
  assert.deepEqual(
    polarize(Uint8Array.of(0, 1, 0, 1), Uint8Array.of(PLUS, PLUS, CROSS, CROSS)),
    Uint8Array.of(0, 90, 45, 135),
  );
  assert.throws(() => polarize(new Uint8Array(3), new Uint8Array(2)), {
    name: "RangeError",
    message: "Cannot polarize: the arrays hold 3 and 2 positions",
  });
});
