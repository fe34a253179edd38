import pMap from "p-map";
import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { type KademliaParameterValues, NodeId } from "../kademlia/mod.ts";
import { AdaptiveKademlia } from "./adaptive_kademlia.ts";

/** Grows the host's network to `size` nodes, all joined through `seed`. */
async function growTo(host: NodeHost, size: number, seed: { address: { host: string; port: number } }) {
  await pMap(Array.from({ length: size - host.size }), async () => {
    await host.start().bootstrap([seed.address]);
  }, { concurrency: 25 });
}

Deno.test("AdaptiveKademlia switches the parameter table live as the network grows past 50 and 200 nodes", async () => {
  await using host = new NodeHost();
  const seed = host.start({ role: "bootstrap" });
  const node = host.start();
  const adaptive = new AdaptiveKademlia(node, { analysisIntervalS: 3600 });
  const announced: KademliaParameterValues[] = [];
  node.parameters.changed.on((e) => announced.push(e.after));
  adaptive.start();
  try {
    await node.bootstrap([seed.address]);
    const stage = async (size: number) => {
      await growTo(host, size, seed);
      // The lookups a refresh runs: each gives the estimator a sample of the id density.
      for (let i = 0; i < 16; i++) await node.findNode(NodeId.random());
      const analysis = adaptive.analyze();
      const found = await node.findNode(NodeId.random());
      return {
        tier: analysis.tier,
        live: [node.alpha, node.table.k, node.rpcTimeoutMs],
        found: found.length,
        size: analysis.networkSize,
      };
    };

    const small = await stage(30);
    assert.deepEqual([small.tier, small.live, small.found], ["small", [3, 20, 5000], 20], `estimated ${small.size}`);
    const medium = await stage(100);
    assert.deepEqual(
      [medium.tier, medium.live, medium.found],
      ["medium", [4, 25, 8000], 25],
      `estimated ${medium.size}`,
    );
    const large = await stage(280);
    assert.deepEqual([large.tier, large.live, large.found], ["large", [6, 35, 15000], 35], `estimated ${large.size}`);
    assert.deepEqual(announced.map((p) => p.refreshIntervalS), [300, 240, 180]);
  } finally {
    adaptive.stop();
  }
});

Deno.test("AdaptiveKademlia with enabled: false analyses but leaves the node's parameters alone", async () => {
  await using host = new NodeHost({ k: 22, alpha: 2 });
  const seed = host.start();
  const node = host.start();
  const adaptive = new AdaptiveKademlia(node, { enabled: false });
  await node.bootstrap([seed.address]);
  await growTo(host, 120, seed);
  for (let i = 0; i < 16; i++) await node.findNode(NodeId.random());
  const analysis = adaptive.analyze();
  assert.equal(analysis.tier, "medium", `estimated ${analysis.networkSize}`);
  assert.equal(analysis.adaptive, false);
  assert.deepEqual([node.alpha, node.table.k], [2, 22]);
  assert.deepEqual(analysis.parameters, { alpha: 2, k: 22, timeoutMs: 5000, refreshIntervalS: 3600 });
});

Deno.test("AdaptiveKademlia pins what node.parameters.update() set through later analyses, until unpin()", async () => {
  await using host = new NodeHost({ k: 22, alpha: 2 });
  const seed = host.start();
  const node = host.start();
  await node.bootstrap([seed.address]);
  const adaptive = new AdaptiveKademlia(node);
  const announced: KademliaParameterValues[] = [];
  node.parameters.changed.on((e) => announced.push(e.after));
  adaptive.analyze();
  assert.deepEqual([node.alpha, node.table.k], [3, 20], "a two-node network is small: the parameter table's first row");

  node.parameters.update({ alpha: 7, refreshIntervalS: 90 });
  assert.equal(node.alpha, 7);
  assert.deepEqual(adaptive.pinned, ["alpha", "refreshIntervalS"]);
  assert.equal(announced.at(-1)?.refreshIntervalS, 90, "the refresh manager hears of a pinned refresh interval");
  const analysis = adaptive.analyze();
  assert.deepEqual([node.alpha, node.table.k], [7, 20], "the analysis leaves the pinned alpha alone");
  assert.deepEqual(analysis.parameters, { alpha: 7, k: 20, timeoutMs: 5000, refreshIntervalS: 90 });

  assert.throws(
    () => node.parameters.update({ k: 2.5 }),
    /^RangeError: Invalid k 2\.5: expected a whole number > 0$/,
  );
  assert.equal(node.table.k, 20, "a refused pin changes nothing");
  node.parameters.update({ timeoutMs: 5000 });
  assert.deepEqual(adaptive.pinned, ["alpha", "refreshIntervalS", "timeoutMs"], "set at its old value, pinned too");
  adaptive.unpin(["alpha"]);
  assert.equal(node.alpha, 3, "unpinned, the analyses' choice applies at once");
  adaptive.unpin();
  assert.deepEqual(adaptive.pinned, []);
  assert.equal(announced.at(-1)?.refreshIntervalS, 300);
});
