import assert from "node:assert/strict";
import { IdentityFileError, nodeIdOfPublicKey, SigningIdentity, verifySignature } from "./signing_identity.ts";

const data = new TextEncoder().encode("cqkd value v1");

Deno.test("SigningIdentity.sign() gives signatures only its own public key verifies", () => {
  const alice = SigningIdentity.generate();
  const mallory = SigningIdentity.generate();
  const signature = alice.sign(data);
  assert.equal(signature.length, 64);
  assert.ok(verifySignature(alice.publicKey, data, signature));
  assert.ok(!verifySignature(mallory.publicKey, data, signature));
  const altered = data.slice();
  altered[0]! ^= 1;
  assert.ok(!verifySignature(alice.publicKey, altered, signature));
});

Deno.test("verifySignature() answers false for malformed keys and signatures", () => {
  const alice = SigningIdentity.generate();
  const signature = alice.sign(data);
  assert.ok(!verifySignature(alice.publicKey.subarray(1), data, signature));
  assert.ok(!verifySignature(alice.publicKey, data, signature.subarray(1)));
  assert.ok(!verifySignature(new Uint8Array(32).fill(0xff), data, signature));
});

Deno.test("SigningIdentity's node id is the SHA-1 of its public key", async () => {
  const identity = SigningIdentity.generate();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", identity.publicKey as Uint8Array<ArrayBuffer>));
  assert.deepEqual(identity.nodeId.bytes, digest);
  assert.equal(nodeIdOfPublicKey(identity.publicKey).hex, identity.nodeId.hex);
});

Deno.test("SigningIdentity.loadOrCreate() keeps the same identity across loads, with a private file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/node.key`;
    const first = await SigningIdentity.loadOrCreate(path);
    const second = await SigningIdentity.loadOrCreate(path);
    assert.equal(second.nodeId.hex, first.nodeId.hex);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.ok(verifySignature(first.publicKey, data, second.sign(data)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SigningIdentity.loadOrCreate() refuses a file that is not an Ed25519 key, and leaves it as it was", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/node.key`;
    await Deno.writeTextFile(path, "not a key");
    await assert.rejects(SigningIdentity.loadOrCreate(path), IdentityFileError);
    assert.equal(await Deno.readTextFile(path), "not a key");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SigningIdentity.loadOrCreate() names a key file it cannot read, and creates nothing in its place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A directory where the key should be: reading fails as it does for a mounted key the node may not read.
    await Deno.mkdir(`${dir}/node.key`);
    await assert.rejects(SigningIdentity.loadOrCreate(`${dir}/node.key`), (error: Error) => {
      assert.ok(error instanceof IdentityFileError);
      assert.match(error.message, /^Cannot load the node identity from .*node\.key: /);
      return true;
    });
    assert.ok((await Deno.stat(`${dir}/node.key`)).isDirectory);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
