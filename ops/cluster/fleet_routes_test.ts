import assert from "node:assert/strict";
import { Hono } from "hono";
import { NodeHost } from "../../core/host.ts";
import { formatPeer } from "../../core/net/mod.ts";
import { jsonErrors } from "../admin/mod.ts";
import { fleetRoutes } from "./fleet_routes.ts";

/** Four nodes joined through the first, served as one host's fleet (names n0…n3). */
async function setup() {
  const host = new NodeHost({ rpcTimeoutMs: 300, lookupStallMs: 100 });
  const seed = host.start();
  for (let i = 1; i < 4; i++) {
    await host.start().bootstrap([seed.address]);
    await host.settled();
  }
  const running = host.nodes().map((node, i) => ({ name: `n${i}`, node }));
  const app = new Hono().onError(jsonErrors).route("/fleet", fleetRoutes({ running: () => running }, 64 * 1024));
  const post = async (path: string, body: unknown) => {
    const response = await app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return { host, running, app, post, [Symbol.asyncDispose]: () => host.stopAll() };
}

Deno.test("fleetRoutes GET /routing-tables lists every running node's id and contact ids", async () => {
  await using t = await setup();
  const tables = await (await t.app.request("/fleet/routing-tables")).json();
  assert.deepEqual(tables.map((table: { name: string }) => table.name), ["n0", "n1", "n2", "n3"]);
  assert.equal(tables[0].id, t.running[0]!.node.id.hex);
  assert.deepEqual(
    [...tables[0].contacts].sort(),
    t.running.slice(1).map((n) => n.node.id.hex).sort(),
  );
});

Deno.test("fleetRoutes POST /ops/isolate removes and blocks the ids on the named nodes, per node", async () => {
  await using t = await setup();
  const outcast = t.running[3]!.node;
  const { status, body } = await t.post("/fleet/ops/isolate", {
    ids: [outcast.id.hex],
    block: true,
    names: ["n0", "n1", "n2"],
  });
  assert.equal(status, 200);
  assert.deepEqual(body.map((o: { name: string; removedIds: string[] }) => [o.name, o.removedIds]), [
    ["n0", [outcast.id.hex]],
    ["n1", [outcast.id.hex]],
    ["n2", [outcast.id.hex]],
  ]);
  for (const { node } of t.running.slice(0, 3)) assert.equal(node.table.isBlocked(outcast.id), true);
  assert.equal((await t.post("/fleet/ops/isolate", { ids: ["nope"] })).status, 400);
});

Deno.test("fleetRoutes POST /ops/rejoin and /ops/refresh answer per node; a node that is the whole list is skipped", async () => {
  await using t = await setup();
  const seed = formatPeer(t.running[0]!.node.address);
  const rejoined = await t.post("/fleet/ops/rejoin", { peers: [seed] });
  assert.deepEqual(rejoined.body.map((o: { name: string; ok: boolean }) => [o.name, o.ok]), [
    ["n1", true],
    ["n2", true],
    ["n3", true],
  ]);
  assert.deepEqual(rejoined.body[0].reached, [seed]);
  const refreshed = await t.post("/fleet/ops/refresh", { names: ["n2"] });
  assert.equal(refreshed.body.length, 1);
  assert.equal(refreshed.body[0].ok, true);
  assert.equal(refreshed.body[0].buckets, t.running[2]!.node.table.buckets().length);
  await t.host.stop(t.running[0]!.node);
  const failed = await t.post("/fleet/ops/rejoin", { peers: [seed], names: ["n1"] });
  assert.deepEqual(failed.body, [{ name: "n1", ok: false, error: `Cannot join the network: no answer from ${seed}` }]);
});
