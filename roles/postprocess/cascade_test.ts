import assert from "node:assert/strict";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { randomBits, randomUnits, SeededRandom } from "../quantum/mod.ts";
import { binaryEntropy, cascade, countErrors, type ParityOracle, ParityResponder } from "./mod.ts";

/** Alice's random key and Bob's copy with each bit flipped with probability `qber`. */
function noisyPair(n: number, qber: number, seed: number) {
  const random = new SeededRandom(seed);
  const alice = randomBits(n, random);
  const flips = randomUnits(n, random);
  const bob = alice.map((bit, i) => flips[i]! < qber ? bit ^ 1 : bit);
  return { alice, bob, random };
}

Deno.test("cascade() corrects every error at several QBERs and counts the parities disclosed", async () => {
  for (
    const [n, qber] of [[300, 0.01], [300, 0.05], [2000, 0.01], [2000, 0.03], [2000, 0.05], [2000, 0.11], [
      10_000,
      0.03,
    ]]
  ) {
    for (let seed = 0; seed < 5; seed++) {
      const { alice, bob, random } = noisyPair(n!, qber!, 1000 * seed + n!);
      const errors = countErrors(alice, bob);
      const responder = new ParityResponder(alice);
      const result = await cascade(bob, responder, { qber, random });
      const label = `n=${n} qber=${qber} seed=${seed}`;
      assert.deepEqual(result.bits, alice, label);
      assert.equal(result.corrected, errors, label);
      assert.equal(result.leakage, responder.disclosed, label);
      // No reconciliation discloses less than n·h(e); Cascade stays within 50 % of it on these sizes.
      const shannon = n! * binaryEntropy(errors / n!);
      assert.ok(
        result.leakage >= shannon && result.leakage < 1.5 * shannon + 60,
        `${label}: leakage ${result.leakage}`,
      );
    }
  }
});

Deno.test("cascade() leaves Bob's array alone and discloses only block parities when there is no error", async () => {
  const { alice } = noisyPair(1000, 0, 1);
  const bob = alice.slice();
  const result = await cascade(bob, new ParityResponder(alice), { random: new SeededRandom(2) });
  assert.deepEqual(result.bits, alice);
  assert.notEqual(result.bits, bob);
  assert.equal(result.corrected, 0);
  // Blocks of 73, 146 and then a quarter of the key (250 bits): 14 + 7 + 4 · 4 parities, one exchange per pass.
  assert.equal(result.leakage, 14 + 7 + 4 * 4);
  assert.equal(result.exchanges, 6);
});

Deno.test("cascade() handles empty and tiny keys", async () => {
  const empty = await cascade(new Uint8Array(), new ParityResponder(new Uint8Array()));
  assert.deepEqual(empty, { bits: new Uint8Array(), leakage: 0, corrected: 0, exchanges: 0 });
  const one = await cascade(Uint8Array.of(1), new ParityResponder(Uint8Array.of(0)));
  assert.deepEqual(one.bits, Uint8Array.of(0));
});

Deno.test("cascade() refuses bad options and a wrong answer count, and stops on abort", async () => {
  const alice = new ParityResponder(new Uint8Array(100));
  await assert.rejects(cascade(new Uint8Array(100), alice, { passes: 0 }), {
    name: "RangeError",
    message: "Cannot run Cascade: passes must be a positive integer, got 0",
  });
  await assert.rejects(cascade(new Uint8Array(100), alice, { qber: 0.7 }), {
    name: "RangeError",
    message: "Cannot run Cascade: qber must be within 0-0.5, got 0.7",
  });
  const short: ParityOracle = { parities: () => Promise.resolve([0]) };
  await assert.rejects(cascade(new Uint8Array(100), short), {
    name: "TypeError",
    message: "Cannot run Cascade: asked 4 parities, got 1 answers",
  });
  const controller = new AbortController();
  const aborting: ParityOracle = {
    parities: (blocks) => {
      controller.abort(new Error("session cancelled"));
      return alice.parities(blocks);
    },
  };
  await assert.rejects(cascade(new Uint8Array(100), aborting, { signal: controller.signal }), {
    message: "session cancelled",
  });
});

Deno.test("ParityResponder.parities() refuses malformed queries", async () => {
  const alice = new ParityResponder(new Uint8Array(10));
  await assert.rejects(alice.parities([[0, 10]]), {
    name: "RangeError",
    message: "Cannot answer a parity query: position 10 is outside 0-9",
  });
  await assert.rejects(alice.parities([[1.5]]), RangeError);
  await assert.rejects(alice.parities([3] as unknown as number[][]), {
    name: "TypeError",
    message: "Cannot answer a parity query: expected an array of position arrays",
  });
  assert.equal(alice.disclosed, 0);
});

Deno.test("cascade() reconciles over real UDP with Alice's parities behind an RPC", async () => {
  await using aliceNode = KademliaNode.start({ rpcTimeoutMs: 2000 });
  await using bobNode = KademliaNode.start({ rpcTimeoutMs: 2000 });
  const { alice, bob, random } = noisyPair(1000, 0.03, 77);
  const responder = new ParityResponder(alice);
  aliceNode.rpc.register("test_cascade_parities", ([blocks]) => responder.parities(blocks as number[][]));
  const overUdp: ParityOracle = {
    parities: async (blocks) =>
      await bobNode.transport.request(aliceNode.address, "test_cascade_parities", [blocks]) as number[],
  };
  const result = await cascade(bob, overUdp, { qber: 0.03, random });
  assert.deepEqual(result.bits, alice);
  assert.equal(result.leakage, responder.disclosed);
  assert.equal(bobNode.transport.stats.requestsOut, result.exchanges);
});
