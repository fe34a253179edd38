/**
 * Who wrote a sealed message or reply: attacks by a member that copies another's identity and binding, or answers in
 * another's place, on real messengers over UDP on 127.0.0.0/8.
 */
import assert from "node:assert/strict";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { runtime } from "../../core/runtime/mod.ts";
import { PairCipher } from "./pair_cipher.ts";
import { bindingBytes, isBound, messageContent } from "./sealed_content.ts";
import { SEALED_RPC, SealedMessenger } from "./sealed_messenger.ts";

const ASSOCIATED = new TextEncoder().encode(SEALED_RPC);

Deno.test("isBound: only an identity's signature over that very key binds them", () => {
  const alice = SigningIdentity.generate(), eve = SigningIdentity.generate();
  const key = runtime.randomBytes(new Uint8Array(32)), other = runtime.randomBytes(new Uint8Array(32));
  const binding = alice.sign(bindingBytes(key));
  assert.equal(isBound(alice.publicKey, key, binding), true);
  assert.equal(isBound(alice.publicKey, key, binding), true, "and again, from memory");
  assert.equal(isBound(alice.publicKey, other, binding), false, "another key");
  assert.equal(isBound(eve.publicKey, key, binding), false, "another identity");
  assert.equal(isBound(alice.publicKey, other, eve.sign(bindingBytes(other))), false, "signed by someone else");
  assert.equal(isBound(alice.publicKey, key, new Uint8Array(64)), true, "a remembered pair needs no signature again");
  assert.equal(isBound(eve.publicKey, other, new Uint8Array(3)), false, "a malformed signature");
});

Deno.test("attack: a member copies Alice's identity and binding into its own sealed message: dropped, the handler never runs", async () => {
  await using aliceNode = KademliaNode.start(), receiverNode = KademliaNode.start(), eveNode = KademliaNode.start();
  await using alice = await SealedMessenger.attach(aliceNode);
  const rejected: string[] = [];
  await using receiver = await SealedMessenger.attach(receiverNode, { onReject: (reason) => rejected.push(reason) });
  let runs = 0;
  receiver.handle("assign", () => ++runs);
  assert.equal(await alice.request(receiver.self, "assign", {}), 1, "Alice herself is served");
  // Eve learns Alice's identity and binding from her public-key answer, as anyone can.
  await using eveMessenger = await SealedMessenger.attach(eveNode);
  const published = await eveMessenger.publicKey(aliceNode.address);
  const [, , aliceBinding] = await aliceNode.transport.request(
    aliceNode.address,
    "cqkd_public_key",
    [],
  ) as Uint8Array[];
  const eve = await PairCipher.generate();
  const forge = async (senderKey: Uint8Array) => {
    const plain = messageContent({ identity: published.identity, binding: aliceBinding! }, {
      method: "assign",
      senderKey,
      recipientKey: receiver.self.key,
      messageId: runtime.randomBytes(new Uint8Array(16)),
      body: {},
    });
    const sealed = await eve.seal(receiver.self.key, plain, ASSOCIATED);
    return await eveNode.transport.request(receiverNode.address, SEALED_RPC, [
      runtime.randomBytes(new Uint8Array(8)),
      0,
      1,
      sealed,
    ]);
  };
  // Naming her own key (Alice never signed it), then naming Alice's key (it did not seal the message).
  assert.ok(!(await forge(eve.publicKey) instanceof Uint8Array), "no sealed reply");
  assert.ok(!(await forge(published.key) instanceof Uint8Array), "no sealed reply");
  assert.equal(runs, 1, "the handler ran for Alice only");
  assert.deepEqual(rejected, ["bad_signature", "bad_signature"]);
});

Deno.test("attack: a reply from a key its identity did not sign, or from another key, is refused as forged", async () => {
  await using aNode = KademliaNode.start(), bobNode = KademliaNode.start(), eveNode = KademliaNode.start();
  await using requester = await SealedMessenger.attach(aNode);
  await using bob = await SealedMessenger.attach(bobNode);
  await using eve = await SealedMessenger.attach(eveNode);
  eve.handle("confirm", () => "ok");
  bob.handle("confirm", () => "ok");
  assert.equal(await requester.request(bob.self, "confirm", {}), "ok");
  // Eve answers at her address, with her key, for Bob's identity (as if Bob's key had been swapped for hers).
  await assert.rejects(requester.request({ ...eve.self, identity: bob.self.identity }, "confirm", {}), {
    name: "ForgedReplyError",
  });
  // Bob's key and identity, but Eve's address: Eve cannot open the message, so she has no reply to give.
  await assert.rejects(requester.request({ ...bob.self, ...eveNode.address }, "confirm", {}), /expected bytes/);
});
