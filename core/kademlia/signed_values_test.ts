import assert from "node:assert/strict";
import { NodeKeyPair, SigningIdentity } from "../crypto/mod.ts";
import { NodeHost } from "../host.ts";
import type { KademliaNode } from "./node.ts";
import { NodeId } from "./node_id.ts";
import { decodeSignedRecord } from "./signed_record.ts";
import type { StoreRefusal } from "./store_refusals.ts";
import { getSigned, setSigned, UnreadableValueError } from "./signed_values.ts";
import { joinedNodes } from "../../tests/_network.ts";

/** The nodes holding `key`, with the sequence number of the record each holds. */
function replicas(nodes: KademliaNode[], key: NodeId): Array<{ node: KademliaNode; seq: number | undefined }> {
  return nodes.flatMap((node) => {
    const value = node.records.get(key);
    return value === undefined ? [] : [{ node, seq: decodeSignedRecord(value)?.seq }];
  });
}

Deno.test("getSigned() reads a signed value back verified from every node, and the writer's newer seq wins", async () => {
  await using host = new NodeHost({ k: 4 });
  const nodes = await joinedNodes(host, 8);
  const writer = SigningIdentity.generate();
  const written = await setSigned(nodes[0]!, "config", "v1", writer, { seq: 1 });
  assert.equal(written.seq, 1);
  assert.ok(written.replicas >= 3, `${written.replicas} replicas`);
  for (const node of nodes) {
    const read = await getSigned(node, "config");
    assert.equal(read?.value, "v1");
    assert.equal(read.seq, 1);
    assert.deepEqual(read.writer, writer.publicKey);
    assert.ok(read.writerId.equals(writer.nodeId));
    assert.equal(read.sealed, false);
  }
  const rewritten = await setSigned(nodes[5]!, "config", { rounds: 2 }, writer, { seq: 2 });
  assert.equal(rewritten.replicas, rewritten.asked, "every replica took the newer record");
  const key = await NodeId.digest("config");
  assert.equal((await getSigned(nodes[5]!, key))?.value, '{"rounds":2}');
  assert.equal(await getSigned(nodes[3]!, "config", { writer: SigningIdentity.generate().publicKey }), undefined);
  assert.equal(await getSigned(nodes[3]!, "never written"), undefined);
});

Deno.test("A signed key refuses unsigned, stale, foreign and forged writes on every replica", async (t) => {
  // k = 20 > 8 nodes: every node is a replica, so every store reaches only nodes that hold the record. (A node
  // among the k closest that missed the record takes any validly signed one: readers pass `writer`.)
  await using host = new NodeHost({ republishIntervalS: 0 });
  const nodes = await joinedNodes(host, 8);
  const writer = SigningIdentity.generate();
  const key = await NodeId.digest("price");
  await setSigned(nodes[0]!, key, "100", writer, { seq: 5 });
  const holders = replicas(nodes, key);
  assert.equal(holders.length, 8);
  assert.ok(holders.every((r) => r.seq === 5));
  const attacker = nodes[7]!;
  const genuine = attacker.records.get(key) ?? (await attacker.get(key))!;

  const refused = async (write: () => Promise<{ replicas: number }>) => {
    assert.equal((await write()).replicas, 0, "no node stored it");
    for (const node of nodes) assert.equal((await getSigned(node, key))?.value, "100", "the old value survives");
    assert.deepEqual(replicas(nodes, key).map((r) => r.seq), holders.map(() => 5));
  };
  await t.step("unsigned", () => refused(() => attacker.set(key, "1")));
  await t.step("stale", () => refused(() => setSigned(attacker, key, "1", writer, { seq: 4 })));
  await t.step("same seq, other value", () => refused(() => setSigned(attacker, key, "1", writer, { seq: 5 })));
  await t.step("another writer", () => refused(() => setSigned(attacker, key, "1", SigningIdentity.generate())));
  await t.step("forged", async () => {
    const forged = (genuine as Uint8Array).slice();
    forged[forged.length - 70]! ^= 1; // in the payload: the signature no longer matches
    await refused(() => attacker.set(key, forged));
  });
  await t.step("republished", async () => {
    await attacker.maintain(); // republishes its last write to the key, the forged one
    await refused(() => Promise.resolve({ replicas: 0 }));
  });
  // Every node refused every write, the attacker's own copy included: 5 writes and a republish.
  const sum = (reason: StoreRefusal) => nodes.reduce((total, n) => total + n.storeRefusals.counts[reason], 0);
  assert.deepEqual(
    { unsigned: sum("unsigned"), stale: sum("stale"), "other-writer": sum("other-writer"), forged: sum("forged") },
    { unsigned: 8, stale: 16, "other-writer": 8, forged: 16 },
  );
});

Deno.test("A value sealed for readers is readable by those readers only", async () => {
  await using host = new NodeHost({ k: 4 });
  const nodes = await joinedNodes(host, 5);
  const writer = SigningIdentity.generate();
  const [bob, carol, eve] = await Promise.all([1, 2, 3].map(() => NodeKeyPair.generate()));
  await setSigned(nodes[0]!, "session 7 key", "0110 1001", writer, { readers: [bob!.publicKey, carol!.publicKey] });
  for (const reader of [bob!, carol!]) {
    const read = await getSigned(nodes[4]!, "session 7 key", { reader });
    assert.equal(read?.value, "0110 1001");
    assert.equal(read.sealed, true);
    assert.deepEqual(read.writer, writer.publicKey);
  }
  await assert.rejects(getSigned(nodes[4]!, "session 7 key", { reader: eve! }), (error) => {
    assert.ok(error instanceof UnreadableValueError);
    assert.match(error.message, /^Cannot read the value of key [0-9a-f]{40}: it is sealed for readers and this key/);
    return true;
  });
  await assert.rejects(getSigned(nodes[4]!, "session 7 key"), UnreadableValueError, "no reader key pair");
  const raw = await nodes[3]!.get("session 7 key") as Uint8Array;
  assert.ok(!new TextDecoder("latin1").decode(raw).includes("0110 1001"), "the stored bytes do not show the value");
});

Deno.test("A node refuses stores beyond its storage limit and keeps what it holds", async () => {
  await using host = new NodeHost({ k: 3 });
  const warnings: string[] = [];
  const full = host.start({ maxStorageBytes: 2000, onWarning: (m) => warnings.push(m) });
  const small = host.start({ maxValueBytes: 200 });
  const writer = host.start();
  await small.bootstrap([full.address]);
  await writer.bootstrap([full.address]);
  await host.settled();
  const value = (i: number) => new Uint8Array(600).fill(i);
  // Each set asks both other nodes; small refuses every value (too large for it), full takes three.
  for (let i = 0; i < 3; i++) assert.equal((await writer.set(`k${i}`, value(i))).replicas, 1);
  assert.equal((await writer.set("k3", value(3))).replicas, 0, "full refused it");
  assert.equal(full.records.size, 3);
  assert.ok(full.records.bytes <= 2000);
  for (let i = 0; i < 3; i++) assert.deepEqual(await full.get(`k${i}`), value(i), "nothing held was lost");
  assert.equal(full.storeRefusals.counts["storage-full"], 1);
  assert.match(
    warnings.join("\n"),
    /Refused to store key [0-9a-f]{40} from 127\.0\.0\.1:\d+: this node's storage limit/,
  );
  assert.equal(small.storeRefusals.counts["too-large"], 4, "the 600-byte values exceed its 200-byte value limit");
  assert.equal(small.records.size, 0);
});
