import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { nestsDeeperThan } from "./msgpack_depth.ts";

/** `depth` arrays, one inside the other, around `inner`. */
function nested(depth: number, inner: unknown = 1): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

Deno.test("nestsDeeperThan() measures the nesting of arrays and maps on the bytes", () => {
  assert.equal(nestsDeeperThan(encode(nested(3)), 3), false);
  assert.equal(nestsDeeperThan(encode(nested(4)), 3), true);
  assert.equal(nestsDeeperThan(encode(nested(3, [])), 3), true, "an empty container is a level too");
  assert.equal(nestsDeeperThan(encode({ a: { b: { c: 1 } } }), 3), false);
  assert.equal(nestsDeeperThan(encode({ a: { b: { c: {} } } }), 3), true);
  // Siblings do not add up: many shallow containers side by side are shallow.
  assert.equal(nestsDeeperThan(encode([[1], [2], { x: [3] }, "s", new Uint8Array(300), 1.5, -7, 2 ** 40]), 3), false);
  assert.equal(nestsDeeperThan(encode(["find_node", [new Uint8Array(20), new Uint8Array(20)]]), 2), false);
});

Deno.test("nestsDeeperThan() skips the bytes of strings, binaries and extensions, which may look like containers", () => {
  const lookalike = new Uint8Array(100).fill(0x91);
  assert.equal(nestsDeeperThan(encode([lookalike, "\u0091".repeat(100)]), 1), false);
});

Deno.test("nestsDeeperThan() stays bounded on truncated input and lying lengths", () => {
  assert.equal(nestsDeeperThan(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), 1), false);
  assert.equal(nestsDeeperThan(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x91, 0x91]), 1), false);
  assert.equal(nestsDeeperThan(new Uint8Array(50_000).fill(0x91), 32), true);
});
