import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import { formatPeer } from "../../core/net/mod.ts";
import { probeNodes } from "./probe.ts";

Deno.test("probeNodes() counts the answers of live nodes and none from a stopped one, over real UDP", async () => {
  await using host = new NodeHost();
  const [client, live, gone] = [host.start(), host.start(), host.start()];
  const targets = [{ name: "live", address: formatPeer(live.address) }, {
    name: "gone",
    address: formatPeer(gone.address),
  }];
  await host.stop(gone);
  const results = await probeNodes(client, targets, { attempts: 2, timeoutMs: 100 });
  assert.deepEqual(results.map(({ name, sent, answered }) => ({ name, sent, answered })), [
    { name: "live", sent: 2, answered: 2 },
    { name: "gone", sent: 2, answered: 0 },
  ]);
  assert.equal(results[0]!.rttMs.length, 2);
  assert.equal(live.table.get(client.id), undefined, "the prober is not put in the probed node's table");
  assert.equal(client.transport.stats.requestsByPurpose.probe, 4);
});

Deno.test("probeNodes() rejects with the abort reason", async () => {
  await using host = new NodeHost();
  const [client, node] = [host.start(), host.start()];
  const signal = AbortSignal.abort(new Error("enough"));
  await assert.rejects(probeNodes(client, [{ name: "n", address: formatPeer(node.address) }], { signal }), /enough/);
});
