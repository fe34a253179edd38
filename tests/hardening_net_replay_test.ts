/**
 * Attacks on the replay window of secure mode, on real nodes over UDP on 127.0.0.1:
 * - a member stamps its datagrams in the future and floods, so that the forgotten generation of message ids moves
 *   the cut-off past the present and honest traffic turns "stale";
 * - a peer whose clock is a little fast (within the accepted skew) floods: its clock must not become the others';
 * - a datagram sealed for one node is delivered to another (a spoofed or relayed copy): it must not open there.
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { type KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { ClusterKeyring } from "../core/security/mod.ts";
import { SealedPeer } from "./_sealed_peer.ts";

const FAST = { rpcTimeoutMs: 300, lookupStallMs: 100 };
/** A small replay cache, so that a flood of a few hundred datagrams forgets generations as 100,000 would. */
const SMALL_CACHE = 100;

/** Sends `count` pings in batches the node has read before the next (the socket buffer would drop the excess). */
async function flood(peer: SealedPeer, node: KademliaNode, count: number): Promise<void> {
  const stats = node.transport.stats;
  for (let sent = 0; sent < count;) {
    const before = stats.datagramsIn;
    for (let i = 0; i < 50 && sent < count; i++, sent++) {
      await peer.send(peer.request(node.address, "ping", [peer.identity.nodeId.bytes]), node.address);
    }
    const deadline = Date.now() + 2000;
    while (stats.datagramsIn < before + 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  }
}

Deno.test("Datagrams stamped in the future are stale and cannot push the replay cut-off past honest traffic", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring, replayCacheSize: SMALL_CACHE } });
  const target = host.start();
  const attacker = new SealedPeer({ keyring, now: () => Date.now() + 29_000 });
  const honest = new SealedPeer({ keyring });
  try {
    await flood(attacker, target, 5 * SMALL_CACHE);
    assert.deepEqual(await honest.call(target.address, "ping", [honest.identity.nodeId.bytes]), target.id.bytes);
    assert.equal(await attacker.call(target.address, "ping", [attacker.identity.nodeId.bytes]), undefined);
    assert.ok(target.transport.stats.dropped.stale >= 5 * SMALL_CACHE, "the future-stamped flood was refused");
  } finally {
    await attacker.close();
    await honest.close();
  }
});

Deno.test("A peer whose clock is slightly fast cannot make the other peers' datagrams stale", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring, replayCacheSize: SMALL_CACHE } });
  const target = host.start();
  const fast = new SealedPeer({ keyring, now: () => Date.now() + 1_500 });
  const honest = new SealedPeer({ keyring });
  try {
    await flood(fast, target, 5 * SMALL_CACHE);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await honest.call(target.address, "ping", [honest.identity.nodeId.bytes]), target.id.bytes);
    }
    assert.equal(target.transport.stats.dropped.stale, 0);
  } finally {
    await fast.close();
    await honest.close();
  }
});

Deno.test("A datagram sealed for one node does not open at another", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring } });
  const [intended, other] = [host.start(), host.start()];
  const sender = new SealedPeer({ keyring });
  try {
    // The sender has met both: each knows its key, and it knows theirs.
    for (const node of [intended, other]) {
      assert.deepEqual(await sender.call(node.address, "ping", [sender.identity.nodeId.bytes]), node.id.bytes);
    }
    const key = await NodeId.digest("redirected");
    const store = sender.request(intended.address, "store", [sender.identity.nodeId.bytes, key.bytes, "v"]);
    await sender.send(store, other.address);
    // A ping after it: once answered, the store before it was handled (or dropped).
    assert.deepEqual(await sender.call(other.address, "ping", [sender.identity.nodeId.bytes]), other.id.bytes);
    assert.equal(other.records.get(key), undefined, "the redirected store did not run");
    assert.equal(other.transport.stats.dropped.unauthentic, 1);
  } finally {
    await sender.close();
  }
});
