/**
 * Attack: a datagram nested thousands of levels deep. The float-keeping decoder walks the decoded value
 * recursively, so such a datagram used to overflow the stack (caught) at ~3 ms and ~100 MB per datagram. Now the
 * nesting is measured on the bytes before anything is decoded, and a datagram deeper than 32 levels is dropped.
 */
import assert from "node:assert/strict";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { MAX_MSGPACK_DEPTH } from "../core/net/mod.ts";
import { deepRequest } from "./_fuzz_net_kinds.ts";
import { SealedPeer } from "./_sealed_peer.ts";

Deno.test("A datagram nested deeper than the limit is dropped before decoding; the node keeps answering", async () => {
  await using node = KademliaNode.start({ rpcTimeoutMs: 300 });
  const attacker = new SealedPeer();
  try {
    for (const depth of [16_300, MAX_MSGPACK_DEPTH + 1]) await attacker.send(deepRequest(depth), node.address);
    // A legitimate ping after the attack is answered: the node is alive and served it in order.
    const answer = await attacker.call(node.address, "ping", [attacker.identity.nodeId.bytes]);
    assert.deepEqual(answer, node.id.bytes);
    assert.equal(node.transport.stats.dropped["too-deep"], 2);
    assert.equal(node.transport.stats.dropped.msgpack, 0, "the deep datagrams never reached the decoder");
  } finally {
    await attacker.close();
  }
});
