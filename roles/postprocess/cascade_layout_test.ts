import assert from "node:assert/strict";
import { randomBits, SeededRandom } from "../quantum/mod.ts";
import { cascadeBlockSizes, packWords, passBlocks } from "./cascade_layout.ts";

Deno.test("cascadeBlockSizes() follows each schedule and stays within 1..n", () => {
  assert.deepEqual(cascadeBlockSizes(100_000, { qber: 0.02, passes: 4 }), [40, 200, 50_000, 50_000]);
  assert.deepEqual(cascadeBlockSizes(100_000, { qber: 0.02, schedule: "option7", passes: 3 }), [64, 256, 50_000]);
  assert.deepEqual(cascadeBlockSizes(1000, { qber: 0.01, schedule: "doubling" }), [73, 146, 250, 250, 250, 250]);
  assert.deepEqual(cascadeBlockSizes(3, { qber: 0.001, schedule: "yan", passes: 3 }), [3, 3, 1]);
  // By default, Yan et al.'s schedule once the key holds n·h(q) ≥ 400 bits of errors, else doubling blocks.
  assert.equal(cascadeBlockSizes(4_000, { qber: 0.01 }).length, 6);
  assert.equal(cascadeBlockSizes(5_000, { qber: 0.02 }).length, 16);
  assert.equal(cascadeBlockSizes(10, { schedule: "yan" }).length, 16);
  assert.throws(() => cascadeBlockSizes(10, { schedule: "nope" as "yan" }), /unknown schedule nope/);
});

Deno.test("passBlocks() lays out each pass as a partition, alike from the same seed, and its parities are right", () => {
  const n = 1237;
  const bits = randomBits(n, new SeededRandom(3));
  const key = { bits, packed: packWords(bits) };
  const seed = Uint8Array.of(9, 9, 9);
  for (const [pass, size] of [[0, 40], [1, 200], [2, 618], [5, 618]] as const) {
    const blocks = passBlocks(n, seed, pass, size);
    const twin = passBlocks(n, seed, pass, size);
    const order = Array.from({ length: n }, (_, i) => blocks.positionAt(i));
    assert.deepEqual(order, Array.from({ length: n }, (_, i) => twin.positionAt(i)), `pass ${pass}`);
    assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), `pass ${pass}`);
    const starts = blocks.blockStarts;
    assert.equal(starts.at(-1), n);
    const parities = blocks.parities(key);
    for (let b = 0; b + 1 < starts.length; b++) {
      const members = order.slice(starts[b], starts[b + 1]);
      assert.ok(members.every((position) => blocks.blockOf(position) === b), `pass ${pass} block ${b}`);
      assert.ok(members.every((position, i) => i === 0 || position > members[i - 1]!), "ascending within a block");
      assert.equal(parities[b], members.reduce((parity, position) => parity ^ bits[position]!, 0));
    }
    // Any range within a block: the parity of the bits it lists.
    const random = new SeededRandom(pass);
    for (let trial = 0; trial < 200; trial++) {
      const b = Math.floor(random.next() / 2 ** 32 * (starts.length - 1));
      const [low, high] = [starts[b]!, starts[b + 1]!];
      if (high === low) continue;
      const start = low + Math.floor(random.next() / 2 ** 32 * (high - low));
      const end = start + 1 + Math.floor(random.next() / 2 ** 32 * (high - start));
      const expected = order.slice(start, end).reduce((parity, position) => parity ^ bits[position]!, 0);
      assert.equal(blocks.rangeParity(key, start, end), expected, `pass ${pass} [${start}, ${end})`);
    }
  }
  const other = passBlocks(n, Uint8Array.of(9, 9, 8), 2, 618);
  const same = passBlocks(n, seed, 2, 618);
  assert.notDeepEqual(
    Array.from({ length: 50 }, (_, i) => other.positionAt(i)),
    Array.from({ length: 50 }, (_, i) => same.positionAt(i)),
  );
});
