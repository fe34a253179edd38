import assert from "node:assert/strict";
import { KademliaNode } from "../kademlia/mod.ts";
import { NodeKeyPair, PUBLIC_KEY_BYTES, seal, SealedMessageError } from "./mod.ts";

const text = new TextEncoder();
const message = text.encode("spins 0-4095 of session 7");

function assertUnauthentic(error: unknown): true {
  assert.ok(error instanceof SealedMessageError);
  assert.equal(error.problem, "unauthentic");
  assert.equal(
    error.message,
    "Cannot open the sealed message: it was altered, sealed to another key or bound to other associated data",
  );
  return true;
}

Deno.test("NodeKeyPair.open() returns what seal() sealed to its public key", async () => {
  const bob = await NodeKeyPair.generate();
  assert.equal(bob.publicKey.length, PUBLIC_KEY_BYTES);
  const associatedData = text.encode("session 7/qpm");
  const sealed = await seal(message, bob.publicKey, { associatedData });
  assert.equal(sealed.length, message.length + 49);
  assert.deepEqual(await bob.open(sealed, { associatedData }), message);
  const again = await seal(message, bob.publicKey, { associatedData });
  assert.notDeepEqual(again, sealed, "each message has its own ephemeral key");
  assert.deepEqual(await bob.open(await seal(new Uint8Array(), bob.publicKey)), new Uint8Array());
});

Deno.test("NodeKeyPair.open() throws SealedMessageError when any byte was altered", async () => {
  const bob = await NodeKeyPair.generate();
  const sealed = await seal(message, bob.publicKey);
  for (const at of [1, 20, 33, 40, sealed.length - 1]) {
    const altered = sealed.slice();
    altered[at]! ^= 0x01;
    await assert.rejects(bob.open(altered), assertUnauthentic, `byte ${at}`);
  }
});

Deno.test("NodeKeyPair.open() throws SealedMessageError for another recipient or other associated data", async () => {
  const bob = await NodeKeyPair.generate();
  const eve = await NodeKeyPair.generate();
  const sealed = await seal(message, bob.publicKey, { associatedData: text.encode("session 7") });
  await assert.rejects(eve.open(sealed, { associatedData: text.encode("session 7") }), assertUnauthentic);
  await assert.rejects(bob.open(sealed, { associatedData: text.encode("session 8") }), assertUnauthentic);
  await assert.rejects(bob.open(sealed), assertUnauthentic);
});

Deno.test("NodeKeyPair.open() throws SealedMessageError for malformed input", async () => {
  const bob = await NodeKeyPair.generate();
  await assert.rejects(bob.open(new Uint8Array(10)), (error) => {
    assert.ok(error instanceof SealedMessageError);
    assert.equal(error.problem, "malformed");
    assert.equal(error.message, "Cannot open the sealed message: expected at least 49 bytes, got 10");
    return true;
  });
  const sealed = await seal(message, bob.publicKey);
  sealed[0] = 2;
  await assert.rejects(bob.open(sealed), {
    name: "SealedMessageError",
    message: "Cannot open the sealed message: expected format 1, got 2",
  });
});

Deno.test("seal() refuses a public key of the wrong length or of low order", async () => {
  await assert.rejects(seal(message, new Uint8Array(31)), {
    name: "TypeError",
    message: "Cannot import a public key: expected 32 bytes, got 31 bytes",
  });
  await assert.rejects(seal(message, new Uint8Array(32)), {
    name: "TypeError",
    message: "Cannot seal to this public key: it is a low-order point",
  });
});

Deno.test("seal() carries a batch over real UDP that only its recipient opens", async () => {
  await using alice = KademliaNode.start({ rpcTimeoutMs: 500 });
  await using worker = KademliaNode.start({ rpcTimeoutMs: 500 });
  const workerKeys = await NodeKeyPair.generate();
  const associatedData = text.encode("session 7/qpp");
  worker.rpc.register("test_sealed_batch", async ([sealed]) => {
    const batch = await workerKeys.open(sealed as Uint8Array, { associatedData });
    return batch.reduce((sum, bit) => sum + bit, 0);
  });
  const batch = Uint8Array.from({ length: 4000 }, (_, i) => i % 3 === 0 ? 1 : 0);
  const sealed = await seal(batch, workerKeys.publicKey, { associatedData });
  const ones = await alice.transport.request(worker.address, "test_sealed_batch", [sealed]);
  assert.equal(ones, 1334);
  // A batch sealed to another key fails to open, so the worker never answers.
  const stranger = await NodeKeyPair.generate();
  await assert.rejects(
    alice.transport.request(worker.address, "test_sealed_batch", [await seal(batch, stranger.publicKey)], {
      timeoutMs: 200,
    }),
    { name: "RpcTimeoutError" },
  );
});
