import assert from "node:assert/strict";
import { generateBases, generateSpins, polarize, transmit } from "../quantum/mod.ts";
import { decodeRoleData, encodeRoleData } from "./role_data.ts";
import { parseRoleData } from "./messages.ts";

Deno.test("role data packs a bit per spin, base and reading and two per polarization, and unpacks to the same values", () => {
  const spins = generateSpins(16_384), bases = generateBases(16_384);
  const polarizations = transmit(polarize(spins, bases), { noise: 0.1 });
  for (const [name, values, bytes] of [["spins", spins, 2048], ["polarizations", polarizations, 4096]] as const) {
    const packed = encodeRoleData(name, values);
    assert.equal(packed.length, 4 + bytes);
    assert.deepEqual(decodeRoleData(name, packed), values);
  }
  assert.deepEqual(decodeRoleData("bases", encodeRoleData("bases", Uint8Array.of(1, 0, 1))), Uint8Array.of(1, 0, 1));
  assert.deepEqual(decodeRoleData("readings", encodeRoleData("readings", new Uint8Array(0))), new Uint8Array(0));
  const bitmap = Uint8Array.of(0xff, 3);
  assert.equal(encodeRoleData("sifted", bitmap), bitmap, "the sifting bitmap travels as it is");
});

Deno.test("role data refuses a value outside its kind's alphabet and a length that does not match its count", () => {
  assert.throws(() => encodeRoleData("polarizations", Uint8Array.of(0, 30)), /30 at position 1 is not one of/);
  assert.throws(() => encodeRoleData("spins", Uint8Array.of(2)), RangeError);
  const packed = encodeRoleData("spins", new Uint8Array(100));
  assert.throws(() => decodeRoleData("spins", packed.subarray(0, 10)), /do not hold 100 values/);
  const huge = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0);
  assert.throws(
    () => decodeRoleData("readings", huge),
    /do not hold 4294967295 values/,
    "no allocation from the count",
  );
  assert.throws(() => decodeRoleData("bases", Uint8Array.of(1)), /no count/);
  const body = { session: "s", batch: "b", name: "readings", data: packed.subarray(0, 10) };
  assert.throws(() => parseRoleData(body), TypeError, "a message's handler refuses it");
});
