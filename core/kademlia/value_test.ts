import assert from "node:assert/strict";
import { InvalidValueError, isDhtValue, toDhtValue } from "./value.ts";

Deno.test("toDhtValue() keeps strings, finite numbers, 64-bit bigints, booleans and bytes as they are", () => {
  const bytes = new Uint8Array([0, 1, 255]);
  const bigints = [10n, -(2n ** 63n), 2n ** 64n - 1n];
  for (
    const value of ["", "world", 0, -7, 3.5, Number.MAX_SAFE_INTEGER, ...bigints, true, false, bytes, new Uint8Array()]
  ) {
    assert.equal(toDhtValue(value), value);
    assert.equal(isDhtValue(value), true);
  }
});

Deno.test("toDhtValue() turns objects and arrays into JSON strings, as legacy nodes store them", () => {
  assert.equal(toDhtValue({ a: 1, b: [true, null], c: "x" }), '{"a":1,"b":[true,null],"c":"x"}');
  assert.equal(toDhtValue([1, "two", { three: 3 }]), '[1,"two",{"three":3}]');
  assert.equal(toDhtValue({}), "{}");
  assert.equal(toDhtValue(new Date(0)), '"1970-01-01T00:00:00.000Z"');
  for (const value of [{}, [], null, undefined]) assert.equal(isDhtValue(value), false);
});

Deno.test("toDhtValue() refuses what the DHT cannot hold with InvalidValueError", async (t) => {
  const refuse = (value: unknown, message: string) => {
    assert.throws(() => toDhtValue(value), (error) => {
      assert.ok(error instanceof InvalidValueError);
      assert.ok(error instanceof TypeError, "callers catching TypeError keep working");
      assert.equal(error.name, "InvalidValueError");
      assert.equal(error.message, message);
      return true;
    });
  };
  const kinds = "is not a string, bytes, number, boolean or JSON";
  await t.step("null and undefined", () => {
    refuse(null, `Cannot store the value: null ${kinds}`);
    refuse(undefined, `Cannot store the value: undefined ${kinds}`);
  });
  await t.step("non-finite numbers", () => {
    refuse(NaN, `Cannot store the value: the number NaN ${kinds}`);
    refuse(Infinity, `Cannot store the value: the number Infinity ${kinds}`);
    refuse(-Infinity, `Cannot store the value: the number -Infinity ${kinds}`);
  });
  await t.step("functions, symbols and bigints beyond 64 bits", () => {
    refuse(() => 1, `Cannot store the value: function ${kinds}`);
    refuse(Symbol("s"), `Cannot store the value: symbol ${kinds}`);
    refuse(2n ** 64n, `Cannot store the value: bigint ${kinds}`);
    refuse(-(2n ** 63n) - 1n, `Cannot store the value: bigint ${kinds}`);
  });
  await t.step("objects JSON cannot encode", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    refuse(cyclic, "Cannot store the value: it cannot be encoded as JSON: Converting circular structure to JSON");
    refuse({ n: 1n }, "Cannot store the value: it cannot be encoded as JSON: Do not know how to serialize a BigInt");
    refuse({ toJSON: () => undefined }, `Cannot store the value: object ${kinds}`);
  });
});
