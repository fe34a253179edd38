/**
 * CPU and storage traps against a node's value store, on real nodes over UDP on 127.0.0.0/8: a flood of requests
 * from new ids (each used to walk every stored value inline), and one sender filling the store for the whole TTL.
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";

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
