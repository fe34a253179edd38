import assert from "node:assert/strict";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import type { RejectReason } from "./rejections.ts";
import { SEALED_RPC, SealedMessenger } from "./sealed_messenger.ts";
import { TransferAssembly } from "./transfer_assembly.ts";

const alice = { host: "127.0.0.1", port: 1000 };
const mallory = { host: "127.0.0.2", port: 1000 };

Deno.test("TransferAssembly keeps each sender's transfers apart: a chunk under another's transfer id spoils nothing", () => {
  const transfers = new TransferAssembly({ ttlMs: 30_000 });
  assert.equal(transfers.add(alice, "t1", 0, 2, Uint8Array.of(1, 2)).kind, "partial");
  assert.equal(transfers.add(mallory, "t1", 1, 2, Uint8Array.of(9, 9)).kind, "partial");
  const whole = transfers.add(alice, "t1", 1, 2, Uint8Array.of(3));
  assert.deepEqual(whole, { kind: "whole", message: Uint8Array.of(1, 2, 3) });
  assert.equal(transfers.bufferedBytes, 2, "mallory's chunk is still counted until it expires");
});

Deno.test("TransferAssembly refuses chunks past a sender's budget and past the node's, and frees a finished transfer", () => {
  const transfers = new TransferAssembly({ ttlMs: 30_000, maxBytesPerSender: 10, maxBytes: 15 });
  for (let i = 0; i < 2; i++) assert.equal(transfers.add(mallory, `m${i}`, 0, 4, new Uint8Array(5)).kind, "partial");
  assert.equal(transfers.add(mallory, "m2", 0, 4, new Uint8Array(5)).kind, "over_budget");
  assert.equal(transfers.add(alice, "a", 0, 2, new Uint8Array(5)).kind, "partial");
  const full = transfers.add({ host: "127.0.0.3", port: 1 }, "c", 0, 2, new Uint8Array(1));
  assert.equal(full.kind, "over_budget", "the node's budget is spent");
  assert.equal(transfers.add(alice, "a", 1, 2, new Uint8Array(5)).kind, "over_budget");
  assert.equal(transfers.bufferedBytes, 15);
  transfers.clear();
  assert.equal(transfers.add(alice, "a", 0, 2, new Uint8Array(5)).kind, "partial");
  assert.equal(transfers.add(alice, "a", 1, 2, new Uint8Array(5)).kind, "whole");
  assert.equal(transfers.bufferedBytes, 0, "a finished transfer leaves nothing buffered");
});

Deno.test("A peer that sends a chunk under an honest transfer's id first cannot spoil the honest message (real UDP)", async () => {
  await using a = KademliaNode.start();
  await using b = KademliaNode.start();
  await using m = KademliaNode.start({ host: "127.0.0.2" });
  await using sender = await SealedMessenger.attach(a, { chunkBytes: 64 });
  await using receiver = await SealedMessenger.attach(b);
  receiver.handle("echo", (body) => body);
  // Mallory sees the transfer id of the sender's first chunk and races garbage for its second chunk ahead of it.
  const request = a.transport.request.bind(a.transport);
  let raced = false;
  a.transport.request = async (peer, method, args, options) => {
    if (method === SEALED_RPC && args[1] === 1 && !raced) {
      raced = true;
      await m.transport.request(b.address, SEALED_RPC, [args[0], 1, args[2], new Uint8Array(64).fill(0xee)]);
    }
    return request(peer, method, args, options);
  };
  assert.equal(await sender.request(receiver.self, "echo", "x".repeat(400), { timeoutMs: 3000 }), "x".repeat(400));
  assert.ok(raced, "the race was run");
});

Deno.test("A flood of chunks that never finish is refused past the sender's budget; an honest message still passes", async () => {
  await using b = KademliaNode.start();
  await using m = KademliaNode.start({ host: "127.0.0.2" });
  await using a = KademliaNode.start();
  const rejected: RejectReason[] = [];
  await using receiver = await SealedMessenger.attach(b, {
    transferBudget: { maxBytesPerSender: 64_000 },
    onReject: (reason) => rejected.push(reason),
  });
  receiver.handle("echo", (body) => body);
  for (let i = 0; i < 20; i++) {
    const transfer = Uint8Array.of(i, 0, 0, 0, 0, 0, 0, 1);
    await m.transport.request(b.address, SEALED_RPC, [transfer, 0, 4096, new Uint8Array(7000)]);
  }
  assert.equal(rejected.filter((r) => r === "over_budget").length, 11, "9 chunks of 7000 bytes fit in 64,000");
  await using sender = await SealedMessenger.attach(a, { chunkBytes: 500 });
  assert.equal(await sender.request(receiver.self, "echo", "y".repeat(3000)), "y".repeat(3000));
});
