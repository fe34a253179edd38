import assert from "node:assert/strict";
import { sortByDistance } from "./contact.ts";
import { ID_BITS, ID_SPACE, NodeId } from "./node_id.ts";

const id = (value: bigint) => NodeId.fromValue(value);

Deno.test("NodeId.distanceTo() is the XOR of the two ids", () => {
  const a = NodeId.fromHex("ff00000000000000000000000000000000000001");
  const b = NodeId.fromHex("0f00000000000000000000000000000000000003");
  assert.equal(a.distanceTo(b), 0xf000000000000000000000000000000000000002n);
  assert.equal(b.distanceTo(a), a.distanceTo(b));
  assert.equal(a.distanceTo(a), 0n);
  for (let i = 0; i < 50; i++) {
    const x = NodeId.random();
    const y = NodeId.random();
    assert.equal(x.distanceTo(y), x.value ^ y.value);
    assert.ok(x.distanceTo(y) < ID_SPACE);
  }
});

Deno.test("NodeId.digest() is sha1 of the UTF-8 key, as legacy nodes compute it", async (t) => {
  await t.step("hello", async () => {
    assert.equal((await NodeId.digest("hello")).hex, "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
  });
  await t.step("empty", async () => {
    assert.equal((await NodeId.digest("")).hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  });
  await t.step("bytes and text agree", async () => {
    assert.ok((await NodeId.digest(new TextEncoder().encode("héllo"))).equals(await NodeId.digest("héllo")));
  });
});

Deno.test("NodeId.fromBytes(), fromHex() and fromValue() agree and validate", async (t) => {
  const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);
  const hex = "000102030405060708090a0b0c0d0e0f10111213";
  await t.step("agree", () => {
    const a = NodeId.fromBytes(bytes);
    assert.equal(a.hex, hex);
    assert.ok(NodeId.fromHex(hex.toUpperCase()).equals(a));
    assert.ok(NodeId.fromValue(BigInt("0x" + hex)).equals(a));
    assert.equal(a.value, BigInt("0x" + hex));
    assert.equal(a.toString(), hex);
  });
  await t.step("fromBytes copies its input", () => {
    const input = new Uint8Array(20).fill(9);
    const a = NodeId.fromBytes(input);
    input[0] = 1;
    assert.equal(a.bytes[0], 9);
  });
  await t.step("fromValue wraps modulo the id space", () => {
    assert.ok(NodeId.fromValue(ID_SPACE + 5n).equals(id(5n)));
    assert.ok(NodeId.fromValue(-1n).equals(id(ID_SPACE - 1n)));
  });
  await t.step("fromBytes refuses other lengths", () => {
    assert.throws(() => NodeId.fromBytes(new Uint8Array(19)), {
      name: "TypeError",
      message: "Cannot make a node id: expected 20 bytes, got 19 bytes",
    });
    assert.throws(() => NodeId.fromBytes("abc" as unknown as Uint8Array), {
      name: "TypeError",
      message: "Cannot make a node id: expected 20 bytes, got string",
    });
  });
  await t.step("fromHex refuses anything but 40 hex digits", () => {
    for (const bad of ["", "00", hex + "00", hex.slice(0, 39) + "g"]) {
      assert.throws(() => NodeId.fromHex(bad), {
        name: "SyntaxError",
        message: `Cannot parse a node id: expected 40 hex digits, got "${bad}"`,
      });
    }
  });
});

Deno.test("NodeId.randomInRange() stays within [lo, hi)", async (t) => {
  const ranges: Array<[bigint, bigint]> = [
    [0n, 1n],
    [5n, 6n],
    [0n, 2n],
    [1n << 155n, 1n << 156n],
    [ID_SPACE - 3n, ID_SPACE],
    [0n, ID_SPACE],
  ];
  for (const [lo, hi] of ranges) {
    await t.step(`[${lo}, ${hi})`, () => {
      for (let i = 0; i < 200; i++) {
        const v = NodeId.randomInRange(lo, hi).value;
        assert.ok(lo <= v && v < hi, `${v} outside [${lo}, ${hi})`);
      }
    });
  }
  await t.step("a two-value range yields both", () => {
    const seen = new Set(Array.from({ length: 100 }, () => NodeId.randomInRange(10n, 12n).value));
    assert.deepEqual([...seen].sort(), [10n, 11n]);
  });
  await t.step("empty range", () => {
    assert.throws(() => NodeId.randomInRange(7n, 7n), {
      name: "RangeError",
      message: "Cannot pick an id: empty range [7, 7)",
    });
    assert.throws(() => NodeId.randomInRange(8n, 7n), RangeError);
  });
});

Deno.test("NodeId.roughDistanceTo() is the top 53 bits of the distance and orders like it", async (t) => {
  const target = NodeId.random();
  const near = (bits: number) => id(target.value ^ BigInt.asUintN(bits, NodeId.random().value));
  const ids = [
    ...Array.from({ length: 100 }, () => NodeId.random()),
    // Ids sharing more than 53 leading bits with the target, where only the full distance tells them apart.
    ...Array.from({ length: 50 }, () => near(100)),
    ...Array.from({ length: 50 }, () => near(110)),
    target,
  ];
  await t.step("top 53 bits", () => {
    for (const x of ids) assert.equal(x.roughDistanceTo(target), Number(x.distanceTo(target) >> BigInt(ID_BITS - 53)));
  });
  await t.step("ordering agrees with the bigint distance", () => {
    for (const a of ids) {
      for (const b of ids) {
        const rough = a.roughDistanceTo(target) - b.roughDistanceTo(target);
        const exact = a.distanceTo(target) - b.distanceTo(target);
        if (rough < 0) assert.ok(exact < 0n);
        if (exact < 0n) assert.ok(rough <= 0);
      }
    }
  });
  await t.step("sortByDistance() sorts by the full distance", () => {
    const contacts = ids.map((x, i) => ({ id: x, host: "127.0.0.1", port: 1000 + i }));
    const sorted = sortByDistance(contacts, target);
    const expected = [...contacts].sort((a, b) => {
      const [da, db] = [a.id.distanceTo(target), b.id.distanceTo(target)];
      return da < db ? -1 : da > db ? 1 : 0;
    });
    assert.deepEqual(sorted.map((c) => c.id.hex), expected.map((c) => c.id.hex));
    assert.equal(sorted[0]!.id, target);
  });
});
