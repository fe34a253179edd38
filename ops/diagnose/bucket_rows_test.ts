import assert from "node:assert/strict";
import { NodeId } from "../../core/kademlia/mod.ts";
import { bucketRows, distanceRows, scoreOf } from "./bucket_rows.ts";

Deno.test("bucketRows() writes each bucket's range as its prefix of bits, and its fill as contacts/k", () => {
  const rows = bucketRows([
    { prefix: "", depth: 0, contacts: 3, replacements: 0, idleS: 1 },
    { prefix: "6", depth: 3, contacts: 10, replacements: 2, idleS: 0 },
    { prefix: "a5f0", depth: 13, contacts: 20, replacements: 0, idleS: 5 },
    { prefix: "abcdef1", depth: 26, contacts: 1, replacements: 0, idleS: 5 },
  ], 20);
  assert.deepEqual(rows.map((r) => r.range), ["*", "011…", "1010010111110…", "0xabcdef1…"]);
  assert.deepEqual(rows.map((r) => r.fill), [0.15, 0.5, 1, 0.05]);
  assert.equal(scoreOf(rows) < 1, true);
});

Deno.test("distanceRows() groups contacts by their XOR distance from the node, farthest first", () => {
  const self = NodeId.fromHex("0".repeat(40));
  const at = (hex: string) => ({ id: NodeId.fromHex(hex.padEnd(40, "0")), host: "127.0.0.1", port: 1 });
  const rows = distanceRows(self, [at("8"), at("c"), at("4"), at("01")], 20);
  assert.deepEqual(rows.map((r) => [r.range, r.depth, r.contacts]), [["2^159", 0, 2], ["2^158", 1, 1], [
    "2^152",
    7,
    1,
  ]]);
  assert.deepEqual([rows[0]!.replacements, rows[0]!.idleS], [null, null], "not known for a legacy node");
});
