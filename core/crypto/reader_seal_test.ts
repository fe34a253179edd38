import assert from "node:assert/strict";
import {
  MAX_READERS,
  NodeKeyPair,
  openAsReader,
  READER_SLOT_BYTES,
  SealedMessageError,
  sealForReaders,
} from "./mod.ts";

const message = new TextEncoder().encode("the reconciled key of session 7");
const associatedData = new TextEncoder().encode("dht key 1");

Deno.test("openAsReader() opens for every listed reader and for nobody else", async () => {
  const readers = await Promise.all([1, 2, 3].map(() => NodeKeyPair.generate()));
  const outsider = await NodeKeyPair.generate();
  const sealed = await sealForReaders(message, readers.map((r) => r.publicKey), { associatedData });
  assert.equal(sealed.length, 2 + 3 * READER_SLOT_BYTES + 12 + message.length + 16);
  for (const reader of readers) assert.deepEqual(await openAsReader(sealed, reader, { associatedData }), message);
  await assert.rejects(
    openAsReader(sealed, outsider, { associatedData }),
    (e) => e instanceof SealedMessageError && e.problem === "unauthentic",
  );
  await assert.rejects(openAsReader(sealed, readers[0]!), SealedMessageError, "other associated data");
});

Deno.test("openAsReader() throws SealedMessageError for an altered or malformed message", async () => {
  const reader = await NodeKeyPair.generate();
  const sealed = await sealForReaders(message, [reader.publicKey]);
  for (const at of [5, 2 + READER_SLOT_BYTES + 3, sealed.length - 1]) {
    const altered = sealed.slice();
    altered[at]! ^= 1;
    await assert.rejects(openAsReader(altered, reader), (e) => e instanceof SealedMessageError, `byte ${at}`);
  }
  await assert.rejects(
    openAsReader(sealed.subarray(0, 40), reader),
    (e) => e instanceof SealedMessageError && e.problem === "malformed",
  );
});

Deno.test("sealForReaders() refuses no reader and more than MAX_READERS", async () => {
  await assert.rejects(sealForReaders(message, []), RangeError, "Cannot seal for 0 readers: expected 1 to 255");
  const many = Array.from({ length: MAX_READERS + 1 }, () => new Uint8Array(32));
  await assert.rejects(sealForReaders(message, many), RangeError);
});
