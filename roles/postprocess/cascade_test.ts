import assert from "node:assert/strict";
import { encode } from "@msgpack/msgpack";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { randomBits, randomUnits, SeededRandom } from "../quantum/mod.ts";
import {
  binaryEntropy,
  cascade,
  countErrors,
  decodeRanges,
  encodeRanges,
  type ParityOracle,
  ParityResponder,
  type RangeParityOracle,
} from "./mod.ts";

/** Alice's random key and Bob's copy with each bit flipped with probability `qber`. */
function noisyPair(n: number, qber: number, seed: number) {
  const random = new SeededRandom(seed);
  const alice = randomBits(n, random);
  const flips = randomUnits(n, random);
  const bob = alice.map((bit, i) => flips[i]! < qber ? bit ^ 1 : bit);
  return { alice, bob, random };
}

/** Alice's random key and Bob's copy with exactly ⌊n·p⌉ distinct bits flipped, and a layout seed. */
function exactPair(n: number, p: number, seed: number) {
  const random = new SeededRandom(seed);
  const alice = randomBits(n, random);
  const bob = alice.slice();
  const positions = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < Math.round(n * p); i++) {
    const j = i + Math.floor(random.next() * (n - i) / 2 ** 32);
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
    bob[positions[i]!]! ^= 1;
  }
  const layoutSeed = new Uint8Array(16);
  random.fill(layoutSeed);
  return { alice, bob, seed: layoutSeed };
}

Deno.test("cascade() corrects every error at several QBERs, by ranges and by positions alike", async () => {
  for (
    const [n, qber] of [[300, 0.01], [300, 0.05], [2000, 0.01], [2000, 0.03], [2000, 0.05], [2000, 0.11], [
      10_000,
      0.03,
    ]]
  ) {
    for (let seed = 0; seed < 5; seed++) {
      const { alice, bob, random } = noisyPair(n!, qber!, 1000 * seed + n!);
      const layoutSeed = new Uint8Array(16);
      random.fill(layoutSeed);
      const errors = countErrors(alice, bob);
      const byRange = new ParityResponder(alice, { seed: layoutSeed, qber });
      const result = await cascade(bob, byRange, { qber, seed: layoutSeed });
      const label = `n=${n} qber=${qber} seed=${seed}`;
      assert.deepEqual(result.bits, alice, label);
      assert.equal(result.corrected, errors, label);
      assert.equal(result.leakage, byRange.disclosed, label);
      // No reconciliation discloses less than n·h(e); Cascade stays within 50 % of it on these sizes.
      const shannon = n! * binaryEntropy(errors / n!);
      assert.ok(result.leakage >= shannon && result.leakage < 1.5 * shannon + 60, `${label}: ${result.leakage}`);
      // Position lists over the same layout ask the same questions.
      const byPositions = new ParityResponder(alice);
      const oracle: ParityOracle = { parities: (blocks) => byPositions.parities(blocks) };
      const again = await cascade(bob, oracle, { qber, seed: layoutSeed });
      assert.deepEqual(again, result, label);
    }
  }
});

Deno.test("cascade() at 2 % errors: no frame error in 100 keys of 10,000 bits, efficiency within 10 %", async () => {
  let leakage = 0, failures = 0;
  for (let run = 0; run < 100; run++) {
    const { alice, bob, seed } = exactPair(10_000, 0.02, run);
    const result = await cascade(bob, new ParityResponder(alice, { seed, qber: 0.02 }), { qber: 0.02, seed });
    leakage += result.leakage;
    if (countErrors(result.bits, alice) > 0) failures++;
  }
  assert.equal(failures, 0);
  const efficiency = leakage / 100 / (10_000 * binaryEntropy(0.02));
  assert.ok(efficiency > 1 && efficiency < 1.1, `efficiency ${efficiency}`);
});

Deno.test("cascade() at 100,000 bits and 2 % errors discloses at most 1.07·n·h(p)", async () => {
  for (let run = 0; run < 3; run++) {
    const { alice, bob, seed } = exactPair(100_000, 0.02, run);
    const result = await cascade(bob, new ParityResponder(alice, { seed, qber: 0.02 }), { qber: 0.02, seed });
    assert.deepEqual(result.bits, alice);
    const efficiency = result.leakage / (100_000 * binaryEntropy(0.02));
    assert.ok(efficiency < 1.07, `run ${run}: efficiency ${efficiency}`);
  }
});

Deno.test("cascade() with the other schedules corrects the key too", async () => {
  for (const schedule of ["option7", "doubling"] as const) {
    const { alice, bob, seed } = exactPair(20_000, 0.03, 9);
    const responder = new ParityResponder(alice, { seed, qber: 0.03, schedule });
    const result = await cascade(bob, responder, { qber: 0.03, schedule, seed });
    assert.deepEqual(result.bits, alice, schedule);
    assert.equal(result.leakage, responder.disclosed, schedule);
  }
});

Deno.test("cascade() leaves Bob's array alone and discloses only block parities when there is no error", async () => {
  const { alice } = noisyPair(1000, 0, 1);
  const bob = alice.slice();
  const seed = new Uint8Array(16);
  const plan = { seed, schedule: "yan" } as const;
  const result = await cascade(bob, new ParityResponder(alice, plan), plan);
  assert.deepEqual(result.bits, alice);
  assert.notEqual(result.bits, bob);
  assert.equal(result.corrected, 0);
  // Blocks of 80 (13), then 3 random blocks, then 14 passes of 2 blocks; the first pass gives the key's parity, so
  // each later pass's last block costs nothing: 13 + 2 + 14 parities, all asked in one exchange.
  assert.equal(result.leakage, 13 + 2 + 14);
  assert.equal(result.exchanges, 1);
});

Deno.test("cascade() handles empty and tiny keys", async () => {
  const empty = await cascade(new Uint8Array(), new ParityResponder(new Uint8Array()));
  assert.deepEqual(empty, { bits: new Uint8Array(), leakage: 0, corrected: 0, exchanges: 0 });
  const one = await cascade(Uint8Array.of(1), new ParityResponder(Uint8Array.of(0)));
  assert.deepEqual(one.bits, Uint8Array.of(0));
  const seed = new Uint8Array(4);
  const two = await cascade(Uint8Array.of(1, 1), new ParityResponder(Uint8Array.of(0, 1), { seed }), { seed });
  assert.deepEqual(two.bits, Uint8Array.of(0, 1));
});

Deno.test("cascade() refuses bad options, a range oracle without a seed and a wrong answer count", async () => {
  const alice = new ParityResponder(new Uint8Array(100));
  await assert.rejects(cascade(new Uint8Array(100), alice, { passes: 0 }), {
    name: "RangeError",
    message: "Cannot run Cascade: passes must be an integer within 1-64, got 0",
  });
  await assert.rejects(cascade(new Uint8Array(100), alice, { qber: 0.7 }), {
    name: "RangeError",
    message: "Cannot run Cascade: qber must be within 0-0.5, got 0.7",
  });
  const rangesOnly: RangeParityOracle = { rangeParities: () => Promise.resolve(new Uint8Array()) };
  await assert.rejects(cascade(new Uint8Array(100), rangesOnly), {
    name: "TypeError",
    message: "Cannot run Cascade: a range parity oracle needs the layout seed agreed with Alice",
  });
  const short: ParityOracle = { parities: () => Promise.resolve([0]) };
  await assert.rejects(cascade(new Uint8Array(100), short), {
    name: "TypeError",
    message: "Cannot run Cascade: asked 19 parities, got 1 answers",
  });
});

Deno.test("cascade() stops on abort", async () => {
  const alice = new ParityResponder(new Uint8Array(100));
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

Deno.test("ParityResponder.rangeParities() refuses ranges outside the plan, and queries without a seed", async () => {
  const alice = new ParityResponder(new Uint8Array(10), { seed: new Uint8Array(8), passes: 3 });
  for (const triple of [[3, 0, 5], [0, 5, 5], [0, 6, 5], [1, 0, 11]]) {
    await assert.rejects(alice.rangeParities(Uint32Array.from(triple)), RangeError, triple.join());
  }
  await assert.rejects(alice.rangeParities(Uint32Array.of(0, 1)), {
    name: "TypeError",
    message: "Cannot answer a range parity query: expected (pass, start, end) triples",
  });
  await assert.rejects(new ParityResponder(new Uint8Array(10)).rangeParities(Uint32Array.of(0, 0, 1)), {
    name: "TypeError",
    message: "Cannot answer a range parity query: no layout seed was agreed",
  });
  assert.equal(alice.disclosed, 0);
});

Deno.test("encodeRanges() and decodeRanges() round-trip, and decodeRanges() refuses anything but whole triples", () => {
  const ranges = Uint32Array.of(0, 0, 40, 15, 49_999, 100_000, 2 ** 32 - 1, 1, 2);
  assert.deepEqual(decodeRanges(encodeRanges(ranges)), ranges);
  assert.deepEqual(encodeRanges(Uint32Array.of(1, 2, 258)), Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 0, 0));
  for (const bad of [new Uint8Array(11), [0, 0, 1], "ranges", undefined]) {
    assert.throws(() => decodeRanges(bad), /expected bytes of \(pass, start, end\) triples/);
  }
});

Deno.test("cascade() reconciles over real UDP with Alice's range parities behind an RPC", async () => {
  await using aliceNode = KademliaNode.start({ rpcTimeoutMs: 2000 });
  await using bobNode = KademliaNode.start({ rpcTimeoutMs: 2000 });
  const { alice, bob, seed } = exactPair(5000, 0.03, 77);
  const responder = new ParityResponder(alice, { seed, qber: 0.03 });
  aliceNode.rpc.register(
    "test_cascade_ranges",
    async ([ranges]) => await responder.rangeParities(decodeRanges(ranges)),
  );
  let queryBytes = 0;
  const overUdp: RangeParityOracle = {
    rangeParities: async (ranges) => {
      const bytes = encodeRanges(ranges);
      queryBytes += encode(bytes).length;
      const answer = await bobNode.transport.request(aliceNode.address, "test_cascade_ranges", [bytes]);
      return answer as Uint8Array;
    },
  };
  const result = await cascade(bob, overUdp, { qber: 0.03, seed });
  assert.deepEqual(result.bits, alice);
  assert.equal(result.leakage, responder.disclosed);
  assert.equal(bobNode.transport.stats.requestsOut, result.exchanges);
  // The same questions as position lists weigh over ten times more on the wire.
  let positionBytes = 0;
  const byPositions = new ParityResponder(alice);
  await cascade(bob, {
    parities: (blocks) => {
      positionBytes += encode(blocks).length;
      return byPositions.parities(blocks);
    },
  }, { qber: 0.03, seed });
  assert.ok(10 * queryBytes < positionBytes, `${queryBytes} bytes of ranges, ${positionBytes} of positions`);
});
