import assert from "node:assert/strict";
import { mulberry32 } from "./_prng.ts";
import { encode } from "@msgpack/msgpack";
import { NodeHost } from "../core/host.ts";
import { NodeId } from "../core/kademlia/mod.ts";
import { encodeRequest, encodeResponse, type Peer } from "../core/net/mod.ts";
import { randomTools } from "./_random_bytes.ts";
import { SealedPeer } from "./_sealed_peer.ts";

const DATAGRAMS = 20_000;
/**
 * A ping round trip after every batch (of datagrams or bytes, whichever fills first) lets the node drain its
 * socket, so that the fuzz does not just overflow the kernel's buffer.
 */
const BATCH = 100;
const BATCH_BYTES = 64 * 1024;

/** Builds the fuzz datagrams from one seed. */
function fuzzer(rand: () => number) {
  const { int, bytes, choose, id } = randomTools(rand);
  const msgId = () => bytes(20);
  const validRequests = () => [
    encodeRequest(msgId(), "ping", [id()]),
    encodeRequest(msgId(), "store", [id(), id(), "fuzz-value"]),
    encodeRequest(msgId(), "store", [id(), id(), bytes(int(300))]),
    encodeRequest(msgId(), "find_node", [id(), id()]),
    encodeRequest(msgId(), "find_value", [id(), id()]),
    encodeRequest(msgId(), "stun", []),
    encodeResponse(msgId(), [[id(), "127.0.0.1", 18002]]),
  ];
  const wrongRequests = () => [
    encodeRequest(msgId(), "ping", []),
    encodeRequest(msgId(), "ping", ["not bytes"]),
    encodeRequest(msgId(), "ping", [bytes(19)]),
    encodeRequest(msgId(), "ping", [id(), id()]),
    encodeRequest(msgId(), "store", [id(), id()]),
    encodeRequest(msgId(), "store", [id(), id(), null]),
    encodeRequest(msgId(), "store", [id(), id(), { nested: [1, 2] }]),
    encodeRequest(msgId(), "store", [id(), "key", "value"]),
    encodeRequest(msgId(), "find_node", [id()]),
    encodeRequest(msgId(), "find_node", [1, 2]),
    encodeRequest(msgId(), "find_value", [id(), id(), id()]),
    encodeRequest(msgId(), "stun", [1]),
    encodeRequest(msgId(), choose(["", "PING", "find_nodes", "__proto__", "constructor", "x".repeat(200)]), [id()]),
    frame(0, encode([42, [id()]])),
    frame(0, encode(["ping", id()])),
  ];
  const frame = (kind: number, body: Uint8Array) => Uint8Array.from([kind, ...msgId(), ...body]);
  // Length prefixes that promise far more than the datagram holds.
  const hugeLengths = () => [
    frame(0, Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff])),
    frame(0, Uint8Array.from([0x92, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x70])),
    frame(0, Uint8Array.from([0x92, 0xa4, 0x70, 0x69, 0x6e, 0x67, 0xdd, 0x00, 0x10, 0x00, 0x00])),
    frame(1, Uint8Array.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x00])),
    frame(1, Uint8Array.from([0xdf, 0x00, 0x01, 0x00, 0x00])),
    frame(1, Uint8Array.from([0xc9, 0xff, 0xff, 0xff, 0xff, 0x01])),
  ];
  const kinds = {
    random: () => bytes(int(50) === 0 ? 0 : int(2001)),
    short: () => bytes(int(22)),
    mutated: () => {
      const datagram = choose(validRequests()).slice();
      for (let n = 1 + int(4); n > 0; n--) datagram[int(datagram.length)] = int(256);
      if (int(4) === 0) return datagram.subarray(0, int(datagram.length));
      if (int(4) === 0) return Uint8Array.from([...datagram, ...bytes(1 + int(8))]);
      return datagram;
    },
    wrong: () => choose(wrongRequests()),
    huge: () => choose(hugeLengths()),
    unsolicited: () => encodeResponse(msgId(), choose([true, "x", [], { value: "v" }, id()])),
    oversized: () => {
      const datagram = bytes(16_385 + int(4000));
      datagram[0] = int(2);
      return datagram;
    },
  };
  const counts = Object.fromEntries(Object.keys(kinds).map((k) => [k, 0])) as Record<keyof typeof kinds, number>;
  const names = Object.keys(kinds) as Array<keyof typeof kinds>;
  return {
    counts,
    next(): Uint8Array {
      const name = names[int(names.length)]!;
      counts[name]++;
      return kinds[name]();
    },
  };
}

/** A ping from `peer`, retried a few times in case the kernel dropped it (the fuzz fills socket buffers). */
async function pingThroughFuzz(peer: SealedPeer, to: Peer): Promise<unknown> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const answer = await peer.call(to, "ping", [new Uint8Array(20).fill(7)], 1000);
    if (answer !== undefined) return answer;
  }
  assert.fail("The fuzzed node stopped answering ping");
}

Deno.test(`A node survives ${DATAGRAMS} random and mutated datagrams and keeps serving`, async () => {
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 32));
  console.log(`FUZZ_SEED=${seed}`);
  const warnings: string[] = [];
  await using host = new NodeHost({ rpcTimeoutMs: 500 });
  const target = host.start({ onWarning: (message) => warnings.push(message) });
  const client = host.start();
  await client.bootstrap([target.address]);
  const key = await NodeId.digest("stored-before-the-fuzz");
  target.records.put(key, "still here");

  const raw = new SealedPeer();
  const fuzz = fuzzer(mulberry32(seed));
  try {
    let [batch, batchBytes] = [0, 0];
    for (let sent = 0; sent < DATAGRAMS; sent++) {
      const datagram = fuzz.next();
      await raw.send(datagram, target.address);
      batchBytes += datagram.length;
      if (++batch >= BATCH || batchBytes >= BATCH_BYTES || sent === DATAGRAMS - 1) {
        assert.deepEqual(await pingThroughFuzz(raw, target.address), target.id.bytes);
        [batch, batchBytes] = [0, 0];
      }
    }
  } finally {
    await raw.close();
  }

  assert.ok((await client.ping(target.address)).equals(target.id), "the node still answers ping");
  // Asked directly: the client itself may hold a copy by now (replication to a new k-closest node is no fault).
  const found = await client.request({ id: target.id, ...target.address }, "find_value", [client.id.bytes, key.bytes]);
  assert.deepEqual(found, { value: "still here" }, "the node still serves its value");

  const stats = target.transport.stats;
  console.log("datagrams sent by kind:", fuzz.counts);
  console.log(`target received ${stats.datagramsIn}, answered ${stats.datagramsOut}, dropped:`, stats.dropped);
  // Some datagrams may be lost in the kernel, but not more than a few percent of them.
  assert.ok(stats.datagramsIn >= DATAGRAMS * 0.95, `only ${stats.datagramsIn} datagrams reached the node`);
  for (const reason of ["short", "unknown-kind", "msgpack", "shape", "oversized", "unsolicited"] as const) {
    assert.ok(stats.dropped[reason] > 0, `no drop counted as ${reason}`);
  }
  assert.ok(stats.dropped["unknown-method"] > 0 && stats.dropped["bad-arguments"] > 0);
  assert.equal(stats.dropped["handler-error"], 0, "every bad request is refused by argument checks");
  assert.deepEqual(warnings, []);
});
