import assert from "node:assert/strict";
import { SeededRandom } from "../quantum/mod.ts";
import { decodePositions, encodePositions } from "./messages.ts";

Deno.test("sifted positions travel as a bitmap and come back ascending, for any batch size", () => {
  const random = new SeededRandom(5);
  for (const count of [1, 7, 8, 9, 1024, 4093, 4096]) {
    const kept = Uint32Array.from({ length: count }, (_, p) => p).filter(() => random.next() % 2 === 0);
    const bytes = encodePositions(kept, count);
    assert.equal(bytes.length, Math.ceil(count / 8));
    assert.deepEqual(decodePositions(bytes, count), kept, `${count} positions`);
  }
  assert.deepEqual(decodePositions(new Uint8Array(2), 16), new Uint32Array(0));
});

Deno.test("a sifted-positions bitmap of the wrong size, or past the batch, is refused", () => {
  assert.throws(() => decodePositions(new Uint8Array(3), 16), {
    name: "RangeError",
    message: "Cannot decode sifted positions: 3 bytes for 16 positions",
  });
  // 10 positions: bits 10-15 of the second byte must stay clear.
  assert.throws(() => decodePositions(Uint8Array.of(0, 0b100), 10), {
    name: "RangeError",
    message: "Cannot use sifted positions: a position at or past 10 is set",
  });
  assert.deepEqual(decodePositions(Uint8Array.of(0, 0b10), 10), Uint32Array.of(9));
  assert.throws(() => encodePositions(Uint32Array.of(10), 10), RangeError);
});
