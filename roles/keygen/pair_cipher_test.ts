import assert from "node:assert/strict";
import { PairCipher, PairCipherError } from "./pair_cipher.ts";

const AD = new TextEncoder().encode("test");

Deno.test("PairCipher: what Alice seals for Bob, Bob opens and learns Alice's key; both directions share one key", async () => {
  const [alice, bob] = await Promise.all([PairCipher.generate(), PairCipher.generate()]);
  for (const size of [0, 1, 1000, 70_000]) {
    const plain = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
    const sealed = await alice.seal(bob.publicKey, plain, AD);
    assert.equal(sealed.length, 1 + 32 + 24 + plain.length + 16);
    const opened = await bob.open(sealed, AD);
    assert.deepEqual(opened.plain, plain);
    assert.deepEqual(opened.sender, alice.publicKey);
    assert.deepEqual((await alice.open(await bob.seal(alice.publicKey, plain, AD), AD)).plain, plain);
  }
  // A fresh nonce per message: the same plaintext never seals the same way twice.
  const one = Uint8Array.of(1);
  assert.notDeepEqual(await alice.seal(bob.publicKey, one, AD), await alice.seal(bob.publicKey, one, AD));
});

Deno.test("PairCipher refuses an altered message, other associated data, a third party, another version, a short one", async () => {
  const [alice, bob, eve] = await Promise.all([PairCipher.generate(), PairCipher.generate(), PairCipher.generate()]);
  const sealed = await alice.seal(bob.publicKey, new TextEncoder().encode("batch 7: spins"), AD);
  for (let at = 0; at < sealed.length; at += 7) {
    const altered = sealed.slice();
    altered[at]! ^= 1;
    await assert.rejects(bob.open(altered, AD), PairCipherError, `a flipped bit at ${at}`);
  }
  await assert.rejects(bob.open(sealed, new TextEncoder().encode("other")), PairCipherError);
  await assert.rejects(eve.open(sealed, AD), PairCipherError, "sealed for another key");
  // The sender's key swapped for Eve's: the pair key differs and the header is authenticated.
  const swapped = sealed.slice();
  swapped.set(eve.publicKey, 1);
  await assert.rejects(bob.open(swapped, AD), PairCipherError);
  await assert.rejects(bob.open(sealed.subarray(0, 1 + 32 + 24 + 15), AD), /malformed/);
  const v2 = sealed.slice();
  v2[0] = 2;
  await assert.rejects(bob.open(v2, AD), /malformed/);
});
