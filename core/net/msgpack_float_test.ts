import assert from "node:assert/strict";
import { Decoder, Encoder } from "@msgpack/msgpack";
import { decodeKeepingFloat, encodeKeepingFloat, MsgpackFloat, refuseMisplacedFloats } from "./msgpack_float.ts";

const encoder = new Encoder({ useBigInt64: true, extensionCodec: refuseMisplacedFloats });
const decoder = new Decoder({ useBigInt64: true });
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

/** `81 a5 "value"`: the start of a find_value answer. */
const VALUE_MAP = "81a576616c7565";

Deno.test("decodeKeepingFloat() keeps the floats a JS number would re-encode otherwise, and they round-trip", async (t) => {
  const cases: Array<[string, string, MsgpackFloat]> = [
    ["integral float64 (2.0)", "cb4000000000000000", new MsgpackFloat(2, 64)],
    ["negative zero", "cb8000000000000000", new MsgpackFloat(-0, 64)],
    ["float32 (0.5)", "ca3f000000", new MsgpackFloat(0.5, 32)],
    ["integral float32 (3.0)", "ca40400000", new MsgpackFloat(3, 32)],
  ];
  for (const [name, float, expected] of cases) {
    await t.step(name, () => {
      const payload = unhex(VALUE_MAP + float);
      const decoded = decodeKeepingFloat(decoder, payload) as { value: MsgpackFloat };
      assert.ok(decoded.value instanceof MsgpackFloat);
      assert.ok(Object.is(decoded.value.value, expected.value));
      assert.equal(decoded.value.width, expected.width);
      assert.equal(hex(encodeKeepingFloat(encoder, decoded)), VALUE_MAP + float);
    });
  }
});

Deno.test("decodeKeepingFloat() leaves plain numbers alone", async (t) => {
  await t.step("a non-integral float64 re-encodes alike", () => {
    const payload = unhex(VALUE_MAP + "cb3ff8000000000000");
    assert.deepEqual(decodeKeepingFloat(decoder, payload), { value: 1.5 });
    assert.equal(hex(encodeKeepingFloat(encoder, { value: 1.5 })), VALUE_MAP + "cb3ff8000000000000");
  });
  await t.step("integers", () => {
    assert.deepEqual(decodeKeepingFloat(decoder, unhex("92a178cd4652")), ["x", 18002]);
  });
  await t.step("a float that is not the last value", () => {
    assert.deepEqual(decodeKeepingFloat(decoder, unhex("92" + "cb4000000000000000" + "01")), [2, 1]);
  });
});

Deno.test("encodeKeepingFloat() splices a trailing MsgpackFloat in nested messages, as a store request", () => {
  const id = new Uint8Array(20).fill(7);
  const message = ["store", [id, id, new MsgpackFloat(2, 64)]];
  const bytes = encodeKeepingFloat(encoder, message);
  assert.equal(hex(bytes).slice(0, 16), "92a573746f726593");
  assert.equal(hex(bytes).slice(-18), "cb4000000000000000");
  const decoded = decodeKeepingFloat(decoder, bytes) as [string, [Uint8Array, Uint8Array, MsgpackFloat]];
  assert.deepEqual(decoded[1][2], new MsgpackFloat(2, 64));
  assert.deepEqual(message[1], [id, id, new MsgpackFloat(2, 64)], "the message itself is not modified");
});

Deno.test("encodeKeepingFloat() refuses a MsgpackFloat that is not the last value", () => {
  assert.throws(
    () => encodeKeepingFloat(encoder, [new MsgpackFloat(2, 64), 1]),
    { name: "TypeError", message: "Cannot encode a MsgpackFloat but as a message's last value" },
  );
});
