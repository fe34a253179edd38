/**
 * CPU and storage traps against a node's value store, on real nodes over UDP on 127.0.0.0/8: a flood of requests
 * from new ids (each used to walk every stored value inline), a member that becomes a contact and never answers
 * (each used to get every value in one burst), and one sender filling the store for the whole TTL.
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import { ClusterKeyring } from "../core/security/mod.ts";
import { SealedPeer } from "./_sealed_peer.ts";

Deno.test("A flood of new ids queues at most a bounded number of hand-overs; the node keeps answering", async () => {
  await using host = new NodeHost();
  const target = host.start({ replication: { maxPending: 8 } });
  for (let i = 0; i < 3000; i++) target.records.put(NodeId.random(), `value ${i}`);
  // 300 pings, each from an id the target never heard of and from an address of its own (a routing table keeps one
  // contact per address): every one is a new contact owed a hand-over. (The hand-overs that do run send stores back
  // to the attackers, so not every answer gets through.)
  const attackers = Array.from({ length: 300 }, () => host.start({ host: "127.0.0.2" }));
  await Promise.allSettled(
    attackers.map((attacker) =>
      attacker.transport.request(target.address, "ping", [NodeId.random().bytes], { timeoutMs: 2000 })
    ),
  );
  assert.ok(target.transport.stats.requestsIn >= 250, `${target.transport.stats.requestsIn} pings arrived`);
  // A plaintext sender becomes a contact (owed hand-overs) once its address answered the target's probe.
  await host.settled();
  assert.ok(target.replication.pending <= 8, `${target.replication.pending} hand-overs queued`);
  assert.ok(target.replication.dropped >= 200, `${target.replication.dropped} hand-overs dropped, none run inline`);
  const honest = host.start({ host: "127.0.0.3" });
  assert.ok((await honest.ping(target.address)).equals(target.id), "an honest ping is answered during the flood");
  target.replication.stop();
});

Deno.test("A hand-over sends no faster than the new contact answers: one that never answers gets 16 stores, not all", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ rpcTimeoutMs: 300, secure: { keyring } });
  const target = host.start();
  for (let i = 0; i < 500; i++) target.records.put(NodeId.random(), `value ${i}`);
  // A member (it holds the cluster key) that makes itself a contact, and so is owed every value, then answers nothing.
  const silent = new SealedPeer({ keyring, hostname: "127.0.0.2" });
  try {
    // (Its answer may drown in the stores that follow it: before the fix, 500 in one burst.)
    await silent.call(target.address, "ping", [silent.identity.nodeId.bytes]);
    await target.replication.idle();
    const stores = silent.requestsIn.store ?? 0;
    assert.ok(stores > 0 && stores <= 16, `${stores} stores sent to a contact that answered none`);
  } finally {
    await silent.close();
  }
  // A node that answers gets them all, in a window of 16 (a burst of hundreds would overflow its socket buffer).
  const honest = host.start({ host: "127.0.0.3" });
  await honest.ping(target.address);
  await target.replication.idle();
  assert.equal(honest.records.size, 500);
  assert.equal(target.transport.stats.timeouts, 16, "only the silent member's stores went unanswered");
});

Deno.test("One sender address cannot fill a plain node's storage: a per-source quota, other senders unaffected", async () => {
  await using host = new NodeHost();
  const target = host.start({ maxStoredValuesPerSource: 40 });
  const attacker = host.start({ host: "127.0.0.2" });
  const honest = host.start({ host: "127.0.0.3" });
  // 100 stores, each from a fresh id (ids cost nothing in plain mode) and to a fresh key.
  let taken = 0;
  for (let i = 0; i < 100; i++) {
    const answer = await attacker.transport.request(target.address, "store", [
      NodeId.random().bytes,
      NodeId.random().bytes,
      `junk ${i}`,
    ]);
    if (answer === true) taken++;
  }
  assert.equal(taken, 40, "the sender's address stops at its quota");
  assert.equal(target.records.usageOf("127.0.0.2").records, 40);
  assert.equal(target.storeRefusals.counts["source-quota"], 60);
  const key = NodeId.random();
  assert.equal(await honest.transport.request(target.address, "store", [honest.id.bytes, key.bytes, "mine"]), true);
  assert.equal(target.records.get(key), "mine");
});

Deno.test("A member that keeps coming back and going silent gets its loss repaired once per window, not per return", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ rpcTimeoutMs: 300, secure: { keyring } });
  const target = host.start();
  for (let i = 0; i < 200; i++) target.records.put(NodeId.random(), `value ${i}`);
  const honest = host.start({ host: "127.0.0.3" });
  await honest.ping(target.address);
  await target.replication.idle();
  assert.equal(honest.records.size, 200, "the honest neighbour got the hand-over");
  const silent = new SealedPeer({ keyring, hostname: "127.0.0.2" });
  const storesToHonest: number[] = [];
  try {
    for (let flap = 0; flap < 3; flap++) {
      const before = honest.transport.stats.requestsIn;
      // It becomes a contact, is owed a hand-over it never answers, and is removed: its loss is repaired.
      await silent.call(target.address, "ping", [silent.identity.nodeId.bytes]);
      await target.replication.idle();
      await host.settled();
      await target.replication.idle();
      assert.equal(target.table.get(silent.identity.nodeId), undefined, `flap ${flap}: the silent member was removed`);
      storesToHonest.push(honest.transport.stats.requestsIn - before);
    }
  } finally {
    await silent.close();
  }
  // (The values of which the target is the closest holder: about half of them.)
  assert.ok(storesToHonest[0]! >= 50, `the first loss is repaired: ${storesToHonest}`);
  assert.ok(storesToHonest[1]! + storesToHonest[2]! < 20, `its returns are not repaired again: ${storesToHonest}`);
});
