import assert from "node:assert/strict";
import {
  decodeFrame,
  encodeRequest,
  encodeResponse,
  FrameTooLargeError,
  MalformedFrameError,
  type MalformedReason,
  MAX_REQUEST_PAYLOAD_BYTES,
  newMessageId,
} from "./wire.ts";

/** Bytes from hex text; spaces are ignored. */
function bytes(hex: string): Uint8Array {
  const clean = hex.replaceAll(" ", "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function range(from: number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => from + i);
}

const MSG_ID = range(0xa0, 20);
const ID1 = range(0x00, 20);
const ID2 = range(0x64, 20);
const KEY = bytes("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
const MSG = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";
const H1 = "000102030405060708090a0b0c0d0e0f10111213";
const H2 = "6465666768696a6b6c6d6e6f7071727374757677";
const HK = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d";

// The vectors captured from a legacy node.
const REQUESTS: Array<{ name: string; hex: string; method: string; args: unknown[] }> = [
  { name: "ping", hex: `00 ${MSG} 92 a4 70696e67 91 c414 ${H1}`, method: "ping", args: [ID1] },
  {
    name: "find_node",
    hex: `00 ${MSG} 92 a9 66696e645f6e6f6465 92 c414 ${H1} c414 ${H1}`,
    method: "find_node",
    args: [ID1, ID1],
  },
  {
    name: "store",
    hex: `00 ${MSG} 92 a5 73746f7265 93 c414 ${H1} c414 ${HK} a5 776f726c64`,
    method: "store",
    args: [ID1, KEY, "world"],
  },
  {
    name: "find_value",
    hex: `00 ${MSG} 92 aa 66696e645f76616c7565 92 c414 ${H1} c414 ${HK}`,
    method: "find_value",
    args: [ID1, KEY],
  },
];

const RESPONSES: Array<{ name: string; hex: string; result: unknown }> = [
  { name: "ping", hex: `01 ${MSG} c414 ${H2}`, result: ID2 },
  {
    name: "find_node",
    hex: `01 ${MSG} 91 93 c414 ${H2} a9 3132372e302e302e31 cd 4652`,
    result: [[ID2, "127.0.0.1", 18002]],
  },
  { name: "empty", hex: `01 ${MSG} 90`, result: [] },
  { name: "store", hex: `01 ${MSG} c3`, result: true },
  { name: "find_value", hex: `01 ${MSG} 81 a5 76616c7565 a5 776f726c64`, result: { value: "world" } },
];

Deno.test("encodeRequest() produces the legacy request vectors byte for byte", async (t) => {
  for (const vector of REQUESTS) {
    await t.step(vector.name, () => {
      assert.deepEqual(encodeRequest(MSG_ID, vector.method, vector.args), bytes(vector.hex));
    });
  }
});

Deno.test("decodeFrame() reads the legacy request vectors", async (t) => {
  for (const vector of REQUESTS) {
    await t.step(vector.name, () => {
      const frame = decodeFrame(bytes(vector.hex));
      assert.equal(frame.kind, "request");
      assert.deepEqual(frame.messageId, MSG_ID);
      if (frame.kind !== "request") return;
      assert.equal(frame.method, vector.method);
      assert.deepEqual(frame.args, vector.args);
    });
  }
});

Deno.test("encodeResponse() produces the legacy response vectors byte for byte", async (t) => {
  for (const vector of RESPONSES) {
    await t.step(vector.name, () => {
      assert.deepEqual(encodeResponse(MSG_ID, vector.result), bytes(vector.hex));
    });
  }
});

Deno.test("decodeFrame() reads the legacy response vectors", async (t) => {
  for (const vector of RESPONSES) {
    await t.step(vector.name, () => {
      const frame = decodeFrame(bytes(vector.hex));
      assert.equal(frame.kind, "response");
      assert.deepEqual(frame.messageId, MSG_ID);
      if (frame.kind === "response") assert.deepEqual(frame.result, vector.result);
    });
  }
});

Deno.test("newMessageId() returns 20 fresh random bytes", () => {
  const a = newMessageId();
  const b = newMessageId();
  assert.equal(a.length, 20);
  assert.notDeepEqual(a, b);
});

function assertMalformed(datagram: Uint8Array, reason: MalformedReason, message: string | RegExp): void {
  assert.throws(() => decodeFrame(datagram), (error) => {
    assert.ok(error instanceof MalformedFrameError);
    assert.equal(error.name, "MalformedFrameError");
    assert.equal(error.reason, reason);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("decodeFrame() refuses datagrams shorter than 22 bytes as short", async (t) => {
  for (const length of [0, 1, 21]) {
    await t.step(`${length} bytes`, () => {
      assertMalformed(new Uint8Array(length), "short", `Datagram of ${length} bytes is shorter than a frame`);
    });
  }
  await t.step("22 bytes is long enough", () => {
    assert.deepEqual(decodeFrame(bytes(`01 ${MSG} c3`)).kind, "response");
  });
});

Deno.test("decodeFrame() refuses an unknown first byte as unknown-kind", async (t) => {
  for (const first of [0x02, 0x80, 0xff]) {
    await t.step(`0x${first.toString(16)}`, () => {
      assertMalformed(
        bytes(`${first.toString(16).padStart(2, "0")} ${MSG} c3`),
        "unknown-kind",
        `Datagram starts with unknown byte 0x${first.toString(16)}`,
      );
    });
  }
});

Deno.test("decodeFrame() refuses bodies that are not one msgpack value as msgpack", async (t) => {
  await t.step("reserved type byte", () => {
    assertMalformed(bytes(`01 ${MSG} c1`), "msgpack", /^Datagram body is not msgpack: .*0xc1/);
  });
  await t.step("truncated array", () => {
    assertMalformed(bytes(`00 ${MSG} 92 a4 70696e67`), "msgpack", /^Datagram body is not msgpack: /);
  });
  await t.step("lying length prefix", () => {
    assertMalformed(bytes(`01 ${MSG} c6 ffffffff 00`), "msgpack", /^Datagram body is not msgpack: Max length/);
  });
  await t.step("trailing bytes", () => {
    assertMalformed(bytes(`01 ${MSG} c3 c3`), "msgpack", /^Datagram body is not msgpack: Extra 1 of 2 byte/);
    assertMalformed(bytes(`00 ${MSG} 92 a4 70696e67 90 00`), "msgpack", /^Datagram body is not msgpack: Extra/);
  });
  await t.step("the decoder's error is the cause", () => {
    assert.throws(() => decodeFrame(bytes(`01 ${MSG} c1`)), (error) => {
      assert.ok(error instanceof MalformedFrameError);
      assert.ok(error.cause instanceof Error);
      assert.ok(error.message.endsWith(error.cause.message));
      return true;
    });
  });
});

Deno.test("decodeFrame() refuses a request body that is not [str, array] as shape", async (t) => {
  const bodies: Record<string, string> = {
    "a string": "a4 70696e67",
    "an empty array": "90",
    "one element": "91 a4 70696e67",
    "three elements": "93 a4 70696e67 90 90",
    "a number as method": "92 01 90",
    "args not an array": "92 a4 70696e67 a1 78",
    "args as a map": "92 a4 70696e67 80",
  };
  for (const [name, body] of Object.entries(bodies)) {
    await t.step(
      name,
      () => assertMalformed(bytes(`00 ${MSG} ${body}`), "shape", "Request body is not [method, args]"),
    );
  }
  await t.step("a response may be any value", () => {
    const frame = decodeFrame(bytes(`01 ${MSG} a4 70696e67`));
    assert.deepEqual(frame, { kind: "response", messageId: MSG_ID, result: "ping" });
  });
});

Deno.test("encodeRequest() refuses a payload over 8192 bytes with FrameTooLargeError", () => {
  // [ "ping", [str16] ] takes 10 bytes besides the string.
  const atLimit = encodeRequest(MSG_ID, "ping", ["x".repeat(MAX_REQUEST_PAYLOAD_BYTES - 10)]);
  assert.equal(atLimit.length, 21 + MAX_REQUEST_PAYLOAD_BYTES);
  assert.throws(() => encodeRequest(MSG_ID, "ping", ["x".repeat(MAX_REQUEST_PAYLOAD_BYTES - 9)]), (error) => {
    assert.ok(error instanceof FrameTooLargeError);
    assert.ok(error instanceof RangeError);
    assert.equal(error.name, "FrameTooLargeError");
    assert.equal(error.payloadBytes, 8193);
    assert.equal(error.limitBytes, 8192);
    assert.equal(error.message, "Cannot send the request: its payload is 8193 bytes, the limit is 8192");
    return true;
  });
});

Deno.test("encodeResponse() has no payload limit of its own", () => {
  const big = encodeResponse(MSG_ID, "y".repeat(10_000));
  const frame = decodeFrame(big);
  assert.equal(frame.kind === "response" && frame.result, "y".repeat(10_000));
});
