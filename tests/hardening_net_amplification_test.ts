/**
 * Attacks by spoofed source address: the attacker sends small plaintext requests in the name of a victim, which
 * never asked for anything and never answers. A node used to answer find_node ~10× larger than the request (and
 * find_value with whole values), and to take the spoofed senders in as contacts that it then pinged and stored
 * to. Now a reply larger than 3× its request waits until the address proves it receives (it answers the node's
 * probe, as legacy nodes do; or it answered any request of the node's before), and only such addresses become
 * contacts. The victim here is a socket on 127.0.0.1 that never answers: to the node, the same as a spoofed one.
 */
import assert from "node:assert/strict";
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { decodeFrame, encodeRequest, type Peer } from "../core/net/mod.ts";
import { PROBE_ATTEMPTS } from "../core/net/address_validation.ts";
import { newId } from "./_sealed_peer.ts";

/** A socket that never answers: counts the bytes and the requests that reach it. */
function victim() {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const address: Peer = { host: "127.0.0.1", port: (conn.addr as Deno.NetAddr).port };
  const counts = { bytes: 0, requests: 0 };
  const loop = (async () => {
    for (;;) {
      try {
        const [datagram] = await conn.receive();
        counts.bytes += datagram.length;
        if (decodeFrame(datagram).kind === "request") counts.requests++;
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) return;
      }
    }
  })();
  return {
    address,
    counts,
    /** Sends a request in this address's name; returns its size. */
    async send(to: Peer, method: string, args: unknown[]): Promise<number> {
      const request = encodeRequest(newId(), method, args);
      await conn.send(request, { transport: "udp", hostname: to.host, port: to.port });
      return request.length;
    },
    async close() {
      conn.close();
      await loop;
    },
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("Replies to an address that never proved it receives are at most 3x the request", async () => {
  await using node = KademliaNode.start({ rpcTimeoutMs: 300 });
  const others = Array.from({ length: 25 }, () => KademliaNode.start({ rpcTimeoutMs: 300 }));
  const target = victim();
  try {
    for (const other of others) await other.bootstrap([node.address]);
    const key = await NodeId.digest("large");
    await others[0]!.set(key, "x".repeat(4000));
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      sent += await target.send(node.address, "find_node", [NodeId.random().bytes, NodeId.random().bytes]);
      sent += await target.send(node.address, "find_value", [NodeId.random().bytes, key.bytes]);
    }
    // The held replies go when the probe times out.
    const stats = node.transport.stats;
    for (let i = 0; i < 200 && stats.dropped["unverified-reply"] < 40; i++) await settle(50);
    assert.ok(target.counts.bytes <= 3 * sent, `${target.counts.bytes} bytes reflected for ${sent} sent`);
    assert.equal(stats.dropped["unverified-reply"], 40, "every large reply was held, then dropped");
  } finally {
    await target.close();
    await Promise.all(others.map((other) => other.stop()));
  }
});

Deno.test("Spoofed pings do not become contacts; each address gets one probe, not pings and stores", async () => {
  await using node = KademliaNode.start({ rpcTimeoutMs: 200 });
  await node.set("held", "a value to hand over");
  const victims = Array.from({ length: 10 }, victim);
  try {
    for (let round = 0; round < 10; round++) {
      for (const v of victims) await v.send(node.address, "ping", [NodeId.random().bytes]);
      await settle(50);
    }
    await settle(500);
    const spoofed = new Set(victims.map((v) => v.address.port));
    assert.deepEqual(node.table.contacts().filter((c) => spoofed.has(c.port)), [], "spoofed senders became contacts");
    for (const v of victims) {
      assert.ok(v.counts.requests <= PROBE_ATTEMPTS, `${v.counts.requests} requests to one victim`);
    }
  } finally {
    await Promise.all(victims.map((v) => v.close()));
  }
});

Deno.test("An address that answers the node's probe, or any of its requests, gets full replies", async () => {
  await using host = KademliaNode.start({ rpcTimeoutMs: 500 });
  const others = Array.from({ length: 25 }, () => KademliaNode.start({ rpcTimeoutMs: 500 }));
  try {
    for (const other of others) await other.bootstrap([host.address]);
    const newcomer = others.at(-1)!;
    const answer = await newcomer.transport.request(host.address, "find_node", [
      newcomer.id.bytes,
      NodeId.random().bytes,
    ]);
    assert.equal((answer as unknown[]).length, 20, "a full answer");
    assert.ok(host.table.get(newcomer.id) !== undefined);
  } finally {
    await Promise.all(others.map((other) => other.stop()));
  }
});
