import assert from "node:assert/strict";
import { SigningIdentity } from "../crypto/mod.ts";
import { NodeId } from "./node_id.ts";
import { signRecord } from "./signed_record.ts";
import { signedWriteRefusal } from "./store_policy.ts";

const key = NodeId.fromValue(7n);
const alice = SigningIdentity.generate();
const mallory = SigningIdentity.generate();
const record = (seq: number, writer = alice, at = key, payload = new Uint8Array([seq])) =>
  signRecord(at, { seq, timestampMs: 0, sealed: false, payload }, writer);

Deno.test("signedWriteRefusal() lets plain values replace plain values, as legacy nodes do", () => {
  assert.equal(signedWriteRefusal(key, "b", undefined), undefined);
  assert.equal(signedWriteRefusal(key, "b", "a"), undefined);
  assert.equal(signedWriteRefusal(key, record(1), "a"), undefined, "a signed record may take a plain key");
});

Deno.test("signedWriteRefusal() keeps a signed key for its writer's newer records", () => {
  const held = record(5);
  assert.equal(signedWriteRefusal(key, record(6), held), undefined);
  assert.equal(signedWriteRefusal(key, held.slice(), held), undefined, "the same record again is a republish");
  assert.equal(signedWriteRefusal(key, record(5, alice, key, new Uint8Array([9])), held), "stale", "same seq");
  assert.equal(signedWriteRefusal(key, record(4), held), "stale");
  assert.equal(signedWriteRefusal(key, "plain", held), "unsigned");
  assert.equal(signedWriteRefusal(key, new Uint8Array([1, 2]), held), "unsigned");
  assert.equal(signedWriteRefusal(key, record(9, mallory), held), "other-writer");
});

Deno.test("signedWriteRefusal() refuses a forged record whatever the key holds", () => {
  const forged = record(6);
  forged[forged.length - 1]! ^= 1;
  assert.equal(signedWriteRefusal(key, forged, undefined), "forged");
  assert.equal(signedWriteRefusal(key, forged, record(5)), "forged");
  assert.equal(signedWriteRefusal(key, record(6, alice, NodeId.fromValue(8n)), undefined), "forged", "other key");
});
