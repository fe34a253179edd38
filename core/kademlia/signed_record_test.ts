import assert from "node:assert/strict";
import { SigningIdentity } from "../crypto/mod.ts";
import { NodeId } from "./node_id.ts";
import {
  decodeSignedRecord,
  isSignedRecord,
  nameDigest,
  signedKey,
  signRecord,
  verifySignedRecord,
} from "./signed_record.ts";

const writer = SigningIdentity.generate();
const key = signedKey(writer.publicKey, "config");
const content = { seq: 3, timestampMs: 1_700_000_000_000, sealed: false, payload: new Uint8Array([0xa2, 0x68, 0x69]) };

Deno.test("verifySignedRecord() returns the fields of a record signed for its writer's key of the name", () => {
  const record = signRecord("config", content, writer);
  assert.ok(isSignedRecord(record));
  assert.deepEqual(verifySignedRecord(key, record), {
    ...content,
    writer: writer.publicKey,
    name: nameDigest("config"),
    signature: record.slice(-64),
  });
});

Deno.test("signedKey() gives each writer its own key for a name", () => {
  const other = SigningIdentity.generate();
  assert.ok(!signedKey(other.publicKey, "config").equals(key));
  assert.ok(!signedKey(writer.publicKey, "config2").equals(key));
  assert.ok(signedKey(writer.publicKey, new TextEncoder().encode("config")).equals(key), "a name as bytes");
});

Deno.test("verifySignedRecord() refuses a record altered anywhere, or under another key", () => {
  const record = signRecord("config", content, writer);
  assert.equal(verifySignedRecord(NodeId.fromValue(8n), record), undefined, "replayed under another key");
  for (let at = 10; at < record.length; at++) {
    const altered = record.slice();
    altered[at]! ^= 0x01;
    assert.equal(verifySignedRecord(key, altered), undefined, `byte ${at} altered`);
  }
  assert.equal(verifySignedRecord(key, record.slice(0, -10)), undefined, "truncated");
});

Deno.test("isSignedRecord() tells records from plain values", () => {
  assert.equal(isSignedRecord("cqkd/sv2"), false);
  assert.equal(isSignedRecord(new Uint8Array([1, 2, 3])), false);
  assert.equal(isSignedRecord(42), false);
  assert.equal(decodeSignedRecord(new TextEncoder().encode("plain")), undefined);
});

Deno.test("signRecord() refuses a sequence number that is not a non-negative safe integer, or above its time", () => {
  for (const seq of [-1, 1.5, 2 ** 53]) {
    assert.throws(() => signRecord("config", { ...content, seq }, writer), RangeError, `seq ${seq}`);
  }
  assert.throws(() => signRecord("config", { ...content, seq: -1 }, writer), {
    message: "Cannot sign a record with sequence number -1",
  });
  assert.throws(() => signRecord("config", { ...content, seq: content.timestampMs + 1 }, writer), {
    message: /^Cannot sign a record with sequence number \d+: it is above its timestamp/,
  });
});
