import assert from "node:assert/strict";
import sodium from "libsodium-wrappers";
import { open, seal } from "./aead.ts";

Deno.test("seal() and open() in place agree with libsodium's XChaCha20-Poly1305, both ways", async () => {
  await sodium.ready;
  const key = crypto.getRandomValues(new Uint8Array(32));
  for (const size of [0, 1, 64, 65, 200, 9000, 70_000]) {
    const message = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
    const sealed = seal(new Uint8Array(37).fill(7), [message.subarray(0, 1), message.subarray(1)], key);
    const header = sealed.subarray(0, 37);
    assert.notDeepEqual(header.subarray(13), new Uint8Array(24).fill(7), "a random nonce was written");
    const reference = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(37),
      header,
      header.subarray(13),
      key,
    );
    assert.deepEqual(reference, message);
    const theirs = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, header, null, header.subarray(13), key);
    assert.deepEqual(open(Uint8Array.from([...header, ...theirs]), 37, key), message);
    sealed[sealed.length - 1]! ^= 1;
    assert.equal(open(sealed, 37, key), undefined, "a flipped tag bit is refused");
  }
});
