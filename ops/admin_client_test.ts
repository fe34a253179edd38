import assert from "node:assert/strict";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { CqkdMetrics } from "../core/metrics/mod.ts";
import { adminApp } from "./admin/mod.ts";
import { AdminClient, AdminRequestError } from "./admin_client.ts";

Deno.test("AdminClient returns success bodies and names the method, path and the API's error on a refusal", async () => {
  await using node = KademliaNode.start();
  const app = adminApp({
    name: "n1",
    nodes: { list: () => [{ name: "n1", node }] },
    metrics: new CqkdMetrics(),
    token: "t0k3n",
  });
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;

  const reader = new AdminClient(base);
  assert.equal((await reader.call((api, o) => api.health.$get({}, o))).host, "n1");
  const json = { group: "kademlia" as const, set: { alpha: 4 } };
  const refused = await reader.call((api, o) => api.parameters.$patch({ json }, o)).catch((error) => error);
  assert.ok(refused instanceof AdminRequestError);
  assert.equal(refused.status, 401);
  assert.equal(
    refused.message,
    `The admin API at ${base} refused PATCH /parameters: Missing bearer token: mutations need a write token`,
  );

  const writer = new AdminClient(base, { token: "t0k3n", label: "Node n1" });
  const changed = await writer.call((api, o) => api.parameters.$patch({ json }, o));
  assert.deepEqual(changed.nodes.map((n) => [n.name, n.values.alpha]), [["n1", 4]]);
  const missing = await writer.call((api, o) => api.nodes[":id"].status.$get({ param: { id: "nobody" } }, o))
    .catch((error) => error);
  assert.equal(missing.status, 404);
  assert.match(missing.message, /^Node n1 refused GET \/nodes\/nobody\/status: No node named or with id nobody/);
});

Deno.test("AdminClient says that an API does not answer when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const error = await new AdminClient(`http://127.0.0.1:${port}`).call((api, o) => api.health.$get({}, o))
    .catch((error) => error);
  assert.ok(error instanceof AdminRequestError);
  assert.equal(error.status, undefined);
  assert.match(error.message, new RegExp(`^The admin API at http://127.0.0.1:${port} does not answer: `));
});
