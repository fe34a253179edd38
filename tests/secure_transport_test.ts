import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { BootstrapError, KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { ForgedIdentityError, RpcTimeoutError } from "../core/net/mod.ts";
import { ClusterKeyring } from "../core/security/mod.ts";
import { SealedPeer } from "./_sealed_peer.ts";

const FAST = { rpcTimeoutMs: 300, lookupStallMs: 100 };

/** A secure cluster of `size` nodes joined through the first, with a value stored. */
async function secureCluster(host: NodeHost, size: number) {
  const nodes = [host.start()];
  for (let i = 1; i < size; i++) {
    const node = host.start();
    await node.bootstrap([nodes[0]!.address]);
    nodes.push(node);
  }
  await nodes[1]!.set("secret", "for members only");
  return nodes;
}

Deno.test("A node without the cluster key cannot join, read or write a secure cluster", async () => {
  const keyring = ClusterKeyring.generate();
  await using members = new NodeHost({ ...FAST, secure: { keyring } });
  const [seed, ...rest] = await secureCluster(members, 5);
  const holders = [seed!, ...rest].filter((n) => n.records.size > 0);
  assert.ok(holders.length > 0);
  await using outsiders = new NodeHost(FAST);
  const plain = outsiders.start();
  const otherCluster = outsiders.start({ secure: { keyring: ClusterKeyring.generate() } });

  for (const outsider of [plain, otherCluster]) {
    await assert.rejects(outsider.bootstrap([seed!.address]), BootstrapError, "cannot join");
    const key = await NodeId.digest("secret");
    await assert.rejects(
      outsider.transport.request(holders[0]!.address, "find_value", [outsider.id.bytes, key.bytes], { timeoutMs: 300 }),
      RpcTimeoutError,
      "cannot read",
    );
    await assert.rejects(
      outsider.transport.request(seed!.address, "store", [outsider.id.bytes, key.bytes, "overwritten"], {
        timeoutMs: 300,
      }),
      RpcTimeoutError,
      "cannot write",
    );
    assert.equal(seed!.table.get(outsider.id), undefined);
  }
  assert.equal(await rest[3]!.get("secret"), "for members only");
  const dropped = members.stats().dropped;
  assert.ok(dropped["no-envelope"] >= 3, `plaintext drops: ${dropped["no-envelope"]}`);
  assert.ok(dropped["unknown-key"] >= 3, `foreign-key drops: ${dropped["unknown-key"]}`);
  assert.ok(members.nodes().every((n) => !n.table.closest(plain.id, 50).some((c) => c.id.equals(plain.id))));
});

Deno.test("A replayed or stale datagram is rejected and counted", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring } });
  const target = host.start();
  const member = new SealedPeer({ keyring });
  const late = new SealedPeer({ keyring, now: () => Date.now() - 60_000 });
  try {
    const key = await NodeId.digest("k");
    const store = member.request(target.address, "store", [member.identity.nodeId.bytes, key.bytes, "v1"]);
    await member.send(store, target.address);
    assert.ok((await member.call(target.address, "ping", [member.identity.nodeId.bytes])) instanceof Uint8Array);
    assert.equal(target.records.get(key), "v1");
    target.records.put(key, "v2");
    await member.send(store, target.address);
    assert.equal(await late.call(target.address, "ping", [late.identity.nodeId.bytes]), undefined);
    assert.ok((await member.call(target.address, "ping", [member.identity.nodeId.bytes])) instanceof Uint8Array);
    assert.equal(target.transport.stats.dropped.replayed, 1);
    assert.equal(target.transport.stats.dropped.stale, 1);
    assert.equal(target.records.get(key), "v2", "the replayed store did not run again");
  } finally {
    await member.close();
    await late.close();
  }
});

Deno.test("A forged node id is refused: dropped, counted, never in the routing table", async () => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring } });
  const target = host.start();
  const victim = host.start();
  const insider = new SealedPeer({ keyring });
  try {
    // An insider with the cluster key claims the victim's id.
    const answer = await insider.call(target.address, "find_node", [victim.id.bytes, victim.id.bytes]);
    assert.equal(answer, undefined, "no answer to a forged sender id");
    assert.equal(target.transport.stats.dropped["forged-id"], 1);
    assert.equal(target.table.size, 0);
    // Under its own id it is welcome.
    assert.ok(
      Array.isArray(await insider.call(target.address, "find_node", [insider.identity.nodeId.bytes, victim.id.bytes])),
    );
    assert.deepEqual(target.table.closest(victim.id, 5).map((c) => c.port), [insider.address.port]);
  } finally {
    await insider.close();
  }
  // A contact named with an id its node does not own is dropped on its first answer.
  const liar = { id: NodeId.random(), ...victim.address };
  target.table.add(liar, { hearsay: true });
  await assert.rejects(target.request(liar, "ping", [target.id.bytes]), ForgedIdentityError);
  assert.ok(await target.findNode(liar.id).then((found) => !found.some((c) => c.id.equals(liar.id))));
  assert.ok(target.transport.stats.dropped["forged-id"] >= 2);
});

Deno.test("A secure node's id is its identity's", () => {
  const keyring = ClusterKeyring.generate();
  assert.throws(() => KademliaNode.start({ secure: { keyring }, id: NodeId.random() }), RangeError);
});

Deno.test("Key rotation without downtime: stage the new key, switch primaries one by one, retire the old key", async () => {
  const old = ClusterKeyring.generate();
  await using host = new NodeHost({ ...FAST, secure: { keyring: old } });
  const nodes = await secureCluster(host, 4);
  const next = old.withNewPrimary();
  const talk = async (round: number) => {
    for (const [i, node] of nodes.entries()) {
      await node.set(`round-${round}-${i}`, i);
      assert.equal(await nodes[(i + 1) % nodes.length]!.get(`round-${round}-${i}`), i);
    }
  };
  for (const node of nodes) node.envelope!.keyring = next.withPrimary(old.primary.id);
  await talk(0);
  for (const [i, node] of nodes.entries()) {
    node.envelope!.keyring = next;
    await talk(i + 1);
  }
  for (const node of nodes) node.envelope!.keyring = next.without(old.primary.id);
  await talk(nodes.length + 1);
  const stats = host.stats();
  assert.equal(stats.timeouts, 0);
  assert.equal(stats.dropped["unknown-key"] + stats.dropped.unauthentic, 0);
  const straggler = host.start({ secure: { keyring: old } });
  await assert.rejects(straggler.bootstrap([nodes[0]!.address]), BootstrapError, "the retired key opens nothing");
});

Deno.test("Legacy plaintext is refused by a secure node unless legacy_compatibility_mode", async (t) => {
  const keyring = ClusterKeyring.generate();
  await using host = new NodeHost(FAST);
  const legacy = host.start();
  await t.step("refused by default", async () => {
    const secure = host.start({ secure: { keyring } });
    await assert.rejects(legacy.ping(secure.address), RpcTimeoutError);
    assert.equal(secure.transport.stats.dropped["no-envelope"], 1);
  });
  await t.step("accepted and answered in plaintext in legacy compatibility mode", async () => {
    const secure = host.start({ secure: { keyring, acceptLegacy: true, legacyPeers: [legacy.address] } });
    assert.ok((await legacy.ping(secure.address)).equals(secure.id));
    await legacy.set("from-legacy", "plain");
    assert.ok((await secure.ping(legacy.address)).equals(legacy.id), "and spoken to in plaintext");
    assert.equal(secure.records.get(await NodeId.digest("from-legacy")), "plain");
  });
});
