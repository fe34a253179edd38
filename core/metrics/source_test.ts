import assert from "node:assert/strict";
import { type ObservedNode, summarizeNodes } from "./source.ts";

/** A node as the metrics see it, with the given bucket sizes. */
function fakeNode(hex: string, role: string, options: Partial<ObservedNode> & { buckets?: number[] } = {}) {
  const { buckets = [], ...rest } = options;
  const node: ObservedNode = {
    id: { hex },
    role,
    alpha: 3,
    rpcTimeoutMs: 5000,
    table: { size: buckets.reduce((a, b) => a + b, 0), k: 4, buckets: () => buckets.map((size) => ({ size })) },
    ...rest,
  };
  return node;
}

Deno.test("summarizeNodes() averages the parameters in force by role", () => {
  const summary = summarizeNodes([
    fakeNode("a1", "worker", { alpha: 3, rpcTimeoutMs: 5000 }),
    fakeNode("a2", "worker", { alpha: 6, rpcTimeoutMs: 15000 }),
    fakeNode("b1", "super-bootstrap", { alpha: 8, rpcTimeoutMs: 20000 }),
  ]);
  assert.deepEqual(summary.byRole.get("worker"), { nodes: 2, alpha: 4.5, k: 4, rpcTimeoutS: 10 });
  assert.deepEqual(summary.byRole.get("super-bootstrap"), { nodes: 1, alpha: 8, k: 4, rpcTimeoutS: 20 });
});

Deno.test("summarizeNodes() averages the refresh interval over the nodes that report one only", () => {
  const summary = summarizeNodes([
    fakeNode("a1", "worker", { refreshIntervalS: 60 }),
    fakeNode("a2", "worker", { refreshIntervalS: 180 }),
    fakeNode("a3", "worker"),
    fakeNode("b1", "bob"),
  ]);
  assert.equal(summary.byRole.get("worker")?.refreshIntervalS, 120);
  assert.equal(summary.byRole.get("bob")?.refreshIntervalS, undefined);
  assert.ok(!("refreshIntervalS" in summary.byRole.get("bob")!));
});

Deno.test("summarizeNodes() classes buckets as empty, partial or full against each node's k", () => {
  const summary = summarizeNodes([
    fakeNode("a1", "worker", { buckets: [0, 1, 4, 4] }),
    fakeNode("a2", "worker", { buckets: [3, 0] }),
  ]);
  assert.deepEqual(summary.buckets, { empty: 2, partial: 2, full: 2 });
  assert.deepEqual([...summary.contacts], [["a1", 9], ["a2", 3]]);
});

Deno.test("summarizeNodes() of no nodes is empty", () => {
  const summary = summarizeNodes([]);
  assert.equal(summary.byRole.size, 0);
  assert.equal(summary.contacts.size, 0);
  assert.deepEqual(summary.buckets, { empty: 0, partial: 0, full: 0 });
});
