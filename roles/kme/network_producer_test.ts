import assert from "node:assert/strict";
import type { AliceResult } from "../keygen/mod.ts";
import { startTestNetwork } from "../keygen/_test_network.ts";
import { networkSessionProducer } from "./network_producer.ts";

Deno.test("the network producer sizes each session's first round from the last one's yield: one round instead of two", async () => {
  await using net = await startTestNetwork(12);
  const sessions: AliceResult[] = [];
  const producer = networkSessionProducer({
    alice: () => net.alice,
    bob: () => net.bob,
    onSession: (result) => sessions.push(result),
  });
  const signal = new AbortController().signal;
  for (let i = 0; i < 4; i++) assert.deepEqual(await producer.produce(4096, signal), { bits: 4096, qber: 0 });
  // The first session's round of 2.5 positions per key bit falls short (about 2.9 are needed): it takes two rounds.
  assert.deepEqual(sessions.map((s) => [s.ok, s.rounds]), [[true, 2], [true, 1], [true, 1], [true, 1]]);
  const positions = sessions.map((s) => s.rawPositions);
  assert.ok(
    positions[3]! < positions[1]! * 1.05,
    `the sessions do not ask for ever more positions: ${positions.join(", ")}`,
  );
  assert.ok(
    sessions[1]!.rawPositions < sessions[0]!.rawPositions * 1.15,
    "the next asks for about what the first used",
  );
  assert.equal(net.alice.keyStore.bits, 4 * 4096, "the keys are in both stores, cut to the pair's size");
  assert.equal(net.bob.keyStore.bits, 4 * 4096);
});
