import assert from "node:assert/strict";
import { confirmationTag, KeyConfirmationError, verifyConfirmation } from "./mod.ts";

const key = Uint8Array.from({ length: 128 }, (_, i) => (i * 37) % 5 === 0 ? 1 : 0);
const nonce = Uint8Array.of(1, 2, 3, 4);

Deno.test("verifyConfirmation() accepts the tag of the same key and nonce", async () => {
  const tag = await confirmationTag(key, nonce);
  assert.equal(tag.length, 8);
  await verifyConfirmation(key.slice(), nonce, tag);
  assert.equal((await confirmationTag(key, nonce, 256)).length, 32);
});

Deno.test("verifyConfirmation() throws KeyConfirmationError for another key or nonce", async () => {
  const tag = await confirmationTag(key, nonce);
  const other = key.slice();
  other[77]! ^= 1;
  const check = (error: unknown) => {
    assert.ok(error instanceof KeyConfirmationError);
    assert.equal(
      error.message,
      "Cannot confirm the key: Alice's and Bob's confirmation tags differ after error correction",
    );
    return true;
  };
  await assert.rejects(verifyConfirmation(other, nonce, tag), check);
  await assert.rejects(verifyConfirmation(key, Uint8Array.of(1, 2, 3, 5), tag), check);
  // Same packed bytes, one trailing zero bit more: still a different key.
  await assert.rejects(verifyConfirmation(Uint8Array.of(...key, 0), nonce, tag), check);
});

Deno.test("confirmationTag() refuses an empty key and odd tag lengths", async () => {
  await assert.rejects(confirmationTag(new Uint8Array(), nonce), {
    name: "RangeError",
    message: "Cannot confirm an empty key",
  });
  await assert.rejects(confirmationTag(key, nonce, 12), {
    name: "RangeError",
    message: "Cannot make a confirmation tag of 12 bits: expected a multiple of 8 within 8-256",
  });
});
