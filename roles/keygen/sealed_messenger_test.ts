import assert from "node:assert/strict";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { SEALED_RPC, SealedMessenger } from "./sealed_messenger.ts";

Deno.test("SealedMessenger.request() gets every message through a lossy link on real UDP, each handled once", async () => {
  // A third of the datagrams either way are lost: without resending, most multi-chunk messages would fail.
  await using a = KademliaNode.start({ faults: { dropProbability: 0.3 } });
  await using b = KademliaNode.start({ faults: { dropProbability: 0.3 } });
  const sender = await SealedMessenger.attach(a, { chunkBytes: 1000, retryMs: 50, timeoutMs: 5000 });
  const receiver = await SealedMessenger.attach(b, { retryMs: 50 });
  const handled: number[] = [];
  receiver.handle("take", (body) => {
    const { n, payload } = body as { n: number; payload: Uint8Array };
    handled.push(n);
    return payload.length;
  });
  try {
    const payload = new Uint8Array(3500); // four chunks
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, n) => sender.request(receiver.self, "take", { n, payload })),
    );
    assert.deepEqual(replies, Array(20).fill(3500));
    assert.deepEqual(handled.toSorted((x, y) => x - y), Array.from({ length: 20 }, (_, n) => n), "once each");
    assert.ok(a.transport.stats.injectedDrops + b.transport.stats.injectedDrops > 0, "datagrams were lost");
  } finally {
    sender.stop();
    receiver.stop();
  }
});

Deno.test("SealedMessenger answers a repeated chunk with the reply it gave, not by running the handler again", async () => {
  await using a = KademliaNode.start();
  await using b = KademliaNode.start();
  // The sender resends every 20 ms while the handler takes 200 ms: the copies must join the one run.
  const sender = await SealedMessenger.attach(a, { retryMs: 20 });
  const receiver = await SealedMessenger.attach(b);
  let runs = 0;
  receiver.handle("slow", async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return "done";
  });
  try {
    assert.equal(await sender.request(receiver.self, "slow", null, { timeoutMs: 2000 }), "done");
    assert.equal(runs, 1);
    assert.ok(a.transport.stats.requestsOut >= 5, `copies sent: ${a.transport.stats.requestsOut}`);
  } finally {
    sender.stop();
    receiver.stop();
  }
});

Deno.test("SealedMessenger.publicKey() gives up with RpcTimeoutError on a silent peer after its timeout", async () => {
  await using a = KademliaNode.start();
  await using silent = KademliaNode.start();
  const messenger = await SealedMessenger.attach(a, { retryMs: 30 });
  try {
    const started = performance.now();
    await assert.rejects(messenger.publicKey(silent.address, { timeoutMs: 200 }), { name: "RpcTimeoutError" });
    assert.ok(performance.now() - started >= 190);
    assert.ok(a.transport.stats.requestsOut >= 4, "it asked more than once");
  } finally {
    messenger.stop();
  }
});

Deno.test("SealedMessenger drops a replayed message (same sealed bytes, new transfer) and proves the sender's identity", async () => {
  await using a = KademliaNode.start();
  await using b = KademliaNode.start();
  const rejected: string[] = [];
  await using sender = await SealedMessenger.attach(a);
  await using receiver = await SealedMessenger.attach(b, { onReject: (reason) => rejected.push(reason) });
  const seen: Uint8Array[] = [];
  receiver.handle("pay", (_body, from) => {
    seen.push(from.identity);
    return "paid";
  });
  // Capture the sealed chunk as it leaves the sender.
  const chunks: Array<readonly unknown[]> = [];
  const request = a.transport.request.bind(a.transport);
  a.transport.request = (peer, method, args, options) => {
    if (method === SEALED_RPC) chunks.push(args);
    return request(peer, method, args, options);
  };
  assert.equal(await sender.request(receiver.self, "pay", { amount: 1 }), "paid");
  assert.deepEqual(seen, [sender.self.identity], "the handler learns the sender's proven identity");
  const [, index, total, sealed] = chunks[0]!;
  const replayed = await a.transport.request(b.address, SEALED_RPC, [new Uint8Array(8).fill(7), index, total, sealed]);
  assert.ok(!(replayed instanceof Uint8Array), "no sealed reply to a replay");
  assert.equal(seen.length, 1, "the handler did not run again");
  assert.deepEqual(rejected, ["replay"]);
});

Deno.test("SealedMessenger.stop() aborts its requests in flight instead of leaving them to time out", async () => {
  await using a = KademliaNode.start();
  await using b = KademliaNode.start();
  const sender = await SealedMessenger.attach(a, { timeoutMs: 60_000 });
  await using receiver = await SealedMessenger.attach(b);
  const { promise: never } = Promise.withResolvers<never>();
  receiver.handle("hang", () => never);
  const pending = sender.request(receiver.self, "hang", {}, { timeoutMs: 60_000 });
  const settled = pending.then(() => "answered", (error: Error) => error.message);
  await sender.stop();
  assert.equal(await settled, "Messenger stopped");
  assert.equal(a.transport.pendingCount, 0, "no RPC left waiting a minute");
});
