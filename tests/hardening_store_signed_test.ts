/**
 * Attacks on signed values, on real nodes over UDP on 127.0.0.1: squatting a writer's key before it writes,
 * locking a key with a sequence number from the future, and rolling a replica back with a replayed older record.
 */
import assert from "node:assert/strict";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { NodeHost } from "../core/host.ts";
import { decodeSignedRecord, getSigned, setSigned, signedKey, signRecord } from "../core/kademlia/mod.ts";
import { joinedNodes } from "./_network.ts";

const payload = new TextEncoder().encode("\xa4evil");

Deno.test("A squatter cannot take a writer's key before the writer stores it, nor lock it with a huge seq", async () => {
  await using host = new NodeHost();
  const nodes = await joinedNodes(host, 6);
  const owner = SigningIdentity.generate();
  const squatter = SigningIdentity.generate();
  const key = signedKey(owner.publicKey, "price");
  const attacker = nodes[5]!;
  // The squatter signs its own record for the name and stores it under the owner's key, with the largest seq.
  const max = Number.MAX_SAFE_INTEGER;
  const squat = signRecord("price", { seq: max, timestampMs: max, sealed: false, payload }, squatter);
  const squatted = await attacker.set(key, squat);
  assert.equal(squatted.replicas, 0, "no replica took the squatter's record");
  assert.ok(nodes.every((n) => n.records.get(key) === undefined));

  const written = await setSigned(nodes[0]!, "price", "100", owner, { seq: 1 });
  assert.equal(written.replicas, written.asked, "the owner's first write is taken everywhere");
  for (const node of nodes) assert.equal((await getSigned(node, "price", owner.publicKey))?.value, "100");

  // Even the owner's own key cannot be locked with a sequence number from the future.
  const locked = signRecord("price", { seq: max, timestampMs: max, sealed: false, payload }, owner);
  assert.equal((await attacker.set(key, locked)).replicas, 0);
  assert.equal((await setSigned(nodes[1]!, "price", "101", owner)).replicas, written.asked, "the owner writes on");
  const refusals = nodes.reduce((sum, n) => sum + n.storeRefusals.counts.forged + n.storeRefusals.counts.future, 0);
  assert.ok(refusals >= 2 * (nodes.length - 1), `${refusals} refusals`);
});

Deno.test("A replica that lost a record and took a replayed older one does not decide reads, and is repaired", async () => {
  await using host = new NodeHost();
  const nodes = await joinedNodes(host, 6);
  const owner = SigningIdentity.generate();
  const key = signedKey(owner.publicKey, "config");
  await setSigned(nodes[0]!, "config", "v1", owner, { seq: 1 });
  const old = nodes[3]!.records.get(key)!;
  await setSigned(nodes[0]!, "config", "v2", owner, { seq: 2 });
  // Replica 3 restarts empty (loses the record); an attacker replays the old record to it, which it must take: it
  // has nothing to compare with.
  const victim = nodes[3]!;
  assert.ok(victim.records.delete(key));
  const attacker = nodes[5]!;
  assert.equal(await attacker.request(victim.contact, "store", [attacker.id.bytes, key.bytes, old]), true);
  assert.equal(decodeSignedRecord(victim.records.get(key)!)?.seq, 1);

  // Every reader, the rolled-back replica's neighbours included, gets the quorum's highest seq.
  const read = await getSigned(nodes[4]!, "config", owner.publicKey);
  assert.equal(read?.value, "v2");
  assert.equal(read.seq, 2);
  assert.ok(read.answered >= 5, `${read.answered} replicas answered`);
  assert.ok(read.repaired >= 1, "the rolled-back replica was behind");
  assert.equal(decodeSignedRecord(victim.records.get(key)!)?.seq, 2, "read repair brought the replica forward");
  assert.equal((await getSigned(victim, "config", owner.publicKey))?.value, "v2");
});
