import assert from "node:assert/strict";
import { SigningIdentity } from "../crypto/mod.ts";
import { encodeRequest } from "../net/mod.ts";
import { ClusterKeyring } from "./keyring.ts";
import { SecureEnvelope, type SecureEnvelopeOptions } from "./secure_envelope.ts";

const A = { host: "127.0.0.1", port: 4001 };
const B = { host: "127.0.0.1", port: 4002 };
const FRAME = encodeRequest(new Uint8Array(20).fill(1), "ping", [new Uint8Array(20)]);

function pair(options: Partial<SecureEnvelopeOptions> = {}) {
  const keyring = options.keyring ?? ClusterKeyring.generate();
  const make = () => new SecureEnvelope({ keyring, identity: SigningIdentity.generate(), ...options });
  return { keyring, alice: make(), bob: make() };
}

function opened(result: ReturnType<SecureEnvelope["open"]>) {
  assert.equal(typeof result, "object", `refused: ${String(result)}`);
  return result as Exclude<typeof result, string>;
}

Deno.test("SecureEnvelope.open() returns the frame and the sender's proven id", () => {
  const { alice, bob } = pair();
  const first = alice.seal(FRAME, B, A);
  const message = opened(bob.open(first, A));
  assert.deepEqual(message.frame, FRAME);
  assert.deepEqual(message.senderId, alice.nodeId.bytes);
  assert.equal(message.plain, false);
  assert.ok(bob.vouches(A, alice.nodeId.bytes));
  assert.ok(!bob.vouches(A, bob.nodeId.bytes));
});

Deno.test("SecureEnvelope.seal() stops sending the certificate once the peer says it checked it", () => {
  const { alice, bob } = pair();
  const first = alice.seal(FRAME, B, A);
  opened(bob.open(first, A));
  opened(alice.open(bob.seal(FRAME, A, B), B));
  const later = alice.seal(FRAME, B, A);
  assert.ok(later.length < first.length - 96, "no public key and signature any more");
  assert.deepEqual(opened(bob.open(later, A)).senderId, alice.nodeId.bytes);
  alice.peerSilent(B);
  assert.equal(alice.seal(FRAME, B, A).length, first.length, "a silent peer gets the certificate again");
});

Deno.test("SecureEnvelope.open() refuses and names what is wrong", async (t) => {
  await t.step("no-envelope: a plaintext frame, or junk", () => {
    const { bob } = pair();
    assert.equal(bob.open(FRAME, A), "no-envelope");
    assert.equal(bob.open(Uint8Array.of(0xe1, 1, 2), A), "no-envelope");
    assert.equal(bob.open(new Uint8Array(0), A), "no-envelope");
  });
  await t.step("unknown-key: sealed under another cluster's key", () => {
    const { bob } = pair();
    const { alice: stranger } = pair();
    assert.equal(bob.open(stranger.seal(FRAME, B, A), A), "unknown-key");
  });
  await t.step("unauthentic: one bit flipped, in the header or the body", () => {
    const { alice, bob } = pair();
    for (const at of [7, 40, 80]) {
      const datagram = alice.seal(FRAME, B, A);
      datagram[at]! ^= 1;
      assert.equal(bob.open(datagram, A), "unauthentic");
    }
  });
  await t.step("stale: stamped outside the replay window", () => {
    let now = 1_000_000_000;
    const { alice, bob } = pair({ now: () => now, replayWindowS: 30 });
    const datagram = alice.seal(FRAME, B, A);
    now += 31_000;
    assert.equal(bob.open(datagram, A), "stale");
  });
  await t.step("replayed: the same datagram twice", () => {
    const { alice, bob } = pair();
    const datagram = alice.seal(FRAME, B, A);
    opened(bob.open(datagram, A));
    assert.equal(bob.open(datagram, A), "replayed");
  });
  await t.step("forged-id: a certificate sent from another address than the one it names", () => {
    const { alice, bob } = pair();
    assert.equal(bob.open(alice.seal(FRAME, B, A), { host: "127.0.0.1", port: 4999 }), "forged-id");
    assert.equal(bob.open(alice.seal(FRAME, B, A), { host: "127.0.0.2", port: A.port }), "forged-id");
  });
  await t.step("unproven: no certificate from an address that never proved a key", () => {
    const { keyring, alice } = pair();
    const identity = SigningIdentity.generate();
    const bob = new SecureEnvelope({ keyring, identity });
    opened(bob.open(alice.seal(FRAME, B, A), A));
    opened(alice.open(bob.seal(FRAME, A, B), B));
    // Bob restarted with the same identity: he forgot Alice, who no longer sends her certificate.
    const forgetful = new SecureEnvelope({ keyring, identity });
    assert.equal(forgetful.open(alice.seal(FRAME, B, A), A), "unproven");
  });
});

Deno.test("SecureEnvelope accepts legacy plaintext only in legacy compatibility mode, and answers in plaintext", () => {
  const { alice, bob } = pair({ acceptLegacy: true, legacyPeers: [A, B] });
  const message = opened(bob.open(FRAME, A));
  assert.equal(message.plain, true);
  assert.equal(message.senderId, undefined);
  assert.deepEqual(bob.seal(FRAME, A, B), FRAME, "a legacy peer is spoken to in plaintext");
  assert.ok(bob.vouches(A, new Uint8Array(20)));
  // A peer that proved a key cannot fall back to plaintext.
  opened(alice.open(bob.seal(FRAME, { host: "127.0.0.1", port: 4003 }, B), B));
  assert.equal(alice.open(FRAME, B), "no-envelope");
});

Deno.test("SecureEnvelope.keyring rotates: staged key, primaries switched one by one, old key retired", () => {
  const { keyring: old, alice, bob } = pair();
  const next = old.withNewPrimary();
  // 1. Every node learns the new key, still sealing with the old one.
  alice.keyring = bob.keyring = next.withPrimary(old.primary.id);
  // 2. Alice switches first: each side opens what the other seals.
  alice.keyring = next;
  opened(bob.open(alice.seal(FRAME, B, A), A));
  opened(alice.open(bob.seal(FRAME, A, B), B));
  bob.keyring = next;
  const underOld = new SecureEnvelope({ keyring: old, identity: SigningIdentity.generate() }).seal(FRAME, A, B);
  // 3. The old key is retired: what it seals is refused.
  alice.keyring = next.without(old.primary.id);
  opened(alice.open(bob.seal(FRAME, A, B), B));
  assert.equal(alice.open(underOld, B), "unknown-key");
});
