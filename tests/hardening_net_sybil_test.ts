/**
 * Attack: Sybil contacts from one address. In plain mode a request names its sender's id, so one socket can claim
 * a new id in every request (and answer every ping with one): it used to fill the routing table with ~1,300 fake
 * contacts, which inflated the network-size estimate and through it k, alpha and the RPC timeout. Now a table
 * holds one contact per address, and the estimate counts only contacts heard from. Real node, UDP on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { NetworkSizeEstimator } from "../core/adaptive/mod.ts";
import { KademliaNode, NodeId } from "../core/kademlia/mod.ts";
import { decodeFrame, encodeRequest, encodeResponse, type Peer } from "../core/net/mod.ts";
import { newId } from "./_sealed_peer.ts";

/** One socket that claims a fresh random id in every request it sends and every ping it answers. */
function sybil() {
  const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const address: Peer = { host: "127.0.0.1", port: (conn.addr as Deno.NetAddr).port };
  let answered = 0;
  const loop = (async () => {
    for (;;) {
      let received;
      try {
        received = await conn.receive();
      } catch {
        return;
      }
      const [datagram, from] = received;
      try {
        const frame = decodeFrame(datagram);
        if (frame.kind !== "request" || frame.method !== "ping") continue;
        const { hostname, port } = from as Deno.NetAddr;
        await conn.send(encodeResponse(frame.messageId, NodeId.random().bytes), { transport: "udp", hostname, port });
        answered++;
      } catch { /* not for us */ }
    }
  })();
  return {
    address,
    get answered() {
      return answered;
    },
    /** Sends `count` pings, each from a new id, in batches the node has read before the next. */
    async flood(node: KademliaNode, count: number) {
      for (let sent = 0; sent < count;) {
        const before = node.transport.stats.requestsIn;
        for (let i = 0; i < 50 && sent < count; i++, sent++) {
          const ping = encodeRequest(newId(), "ping", [NodeId.random().bytes]);
          await conn.send(ping, { transport: "udp", hostname: node.address.host, port: node.address.port });
        }
        const deadline = Date.now() + 2000;
        while (node.transport.stats.requestsIn < before + 50 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      // The node's answers and probes settle.
      await new Promise((r) => setTimeout(r, 300));
    },
    async close() {
      conn.close();
      await loop;
    },
  };
}

Deno.test("One address claiming 1,300 ids takes one slot of the routing table and does not inflate the size estimate", async () => {
  await using node = KademliaNode.start({ rpcTimeoutMs: 300 });
  // A small honest network around it first, so that the table has something to lose.
  const honest = Array.from({ length: 5 }, () => KademliaNode.start({ rpcTimeoutMs: 300 }));
  const attacker = sybil();
  try {
    for (const peer of honest) await peer.bootstrap([node.address]);
    await attacker.flood(node, 1300);
    const held = node.table.contacts().filter((c) =>
      c.host === attacker.address.host && c.port === attacker.address.port
    );
    assert.ok(held.length <= 1, `${held.length} contacts at the attacker's one address`);
    for (const peer of honest) assert.ok(node.table.get(peer.id) !== undefined, "an honest contact lost its slot");
    const estimate = new NetworkSizeEstimator().estimate(node.table);
    assert.ok(estimate <= 20, `estimated ${estimate} nodes`);
  } finally {
    await attacker.close();
    await Promise.all(honest.map((peer) => peer.stop()));
  }
});
