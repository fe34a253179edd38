import assert from "node:assert/strict";
import { SigningIdentity } from "../crypto/mod.ts";
import { signedKey, signRecord } from "./signed_record.ts";
import { MAX_SIGNED_CLOCK_SKEW_MS, signedWriteRefusal } from "./store_policy.ts";

const NOW = 1_800_000_000_000;
const alice = SigningIdentity.generate();
const mallory = SigningIdentity.generate();
const key = signedKey(alice.publicKey, "price");
const record = (seq: number, writer = alice, name = "price", payload = new Uint8Array([seq % 256])) =>
  signRecord(name, { seq, timestampMs: Math.max(seq, 1000), sealed: false, payload }, writer);

Deno.test("signedWriteRefusal() lets plain values replace plain values, as legacy nodes do", () => {
  assert.equal(signedWriteRefusal(key, "b", undefined, NOW), undefined);
  assert.equal(signedWriteRefusal(key, "b", "a", NOW), undefined);
  assert.equal(signedWriteRefusal(key, record(1), "a", NOW), undefined, "a signed record may take a plain key");
});

Deno.test("signedWriteRefusal() keeps a signed key for its writer's newer records", () => {
  const held = record(5);
  assert.equal(signedWriteRefusal(key, record(6), held, NOW), undefined);
  assert.equal(signedWriteRefusal(key, held.slice(), held, NOW), undefined, "the same record again is a republish");
  assert.equal(signedWriteRefusal(key, record(5, alice, "price", new Uint8Array([9])), held, NOW), "stale");
  assert.equal(signedWriteRefusal(key, record(4), held, NOW), "stale");
  assert.equal(signedWriteRefusal(key, "plain", held, NOW), "unsigned");
  assert.equal(signedWriteRefusal(key, new Uint8Array([1, 2]), held, NOW), "unsigned");
});

Deno.test("signedWriteRefusal() refuses another writer's record even where the key holds nothing (no squatting)", () => {
  assert.equal(signedWriteRefusal(key, record(9, mallory), undefined, NOW), "forged", "its key is mallory's");
  assert.equal(signedWriteRefusal(key, record(9, mallory), record(5), NOW), "forged");
  assert.equal(signedWriteRefusal(key, record(9, alice, "other name"), undefined, NOW), "forged");
});

Deno.test("signedWriteRefusal() refuses a forged record whatever the key holds", () => {
  const forged = record(6);
  forged[forged.length - 1]! ^= 1;
  assert.equal(signedWriteRefusal(key, forged, undefined, NOW), "forged");
  assert.equal(signedWriteRefusal(key, forged, record(5), NOW), "forged");
});

Deno.test("signedWriteRefusal() bounds sequence numbers by the replica's clock: no seq from the future", () => {
  const ahead = (ms: number) =>
    signRecord("price", { seq: NOW + ms, timestampMs: NOW + ms, sealed: false, payload: new Uint8Array() }, alice);
  assert.equal(signedWriteRefusal(key, ahead(MAX_SIGNED_CLOCK_SKEW_MS), undefined, NOW), undefined);
  assert.equal(signedWriteRefusal(key, ahead(MAX_SIGNED_CLOCK_SKEW_MS + 1), undefined, NOW), "future");
  const locked = signRecord("price", {
    seq: Number.MAX_SAFE_INTEGER,
    timestampMs: Number.MAX_SAFE_INTEGER,
    sealed: false,
    payload: new Uint8Array(),
  }, alice);
  assert.equal(signedWriteRefusal(key, locked, record(5), NOW), "future");
});
