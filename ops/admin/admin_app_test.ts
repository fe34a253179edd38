import assert from "node:assert/strict";
import { Hono } from "hono";
import { NodeHost } from "../../core/host.ts";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { CqkdMetrics, metricsHooks } from "../../core/metrics/mod.ts";
import { formatPeer } from "../../core/net/mod.ts";
import { BootstrapService } from "../../roles/mod.ts";
import { adminApp, type AdminAppOptions } from "./admin_app.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { jsonErrors } from "./middleware.ts";
import type { AdminNode } from "./node_directory.ts";
import { NODE_BODY_LIMIT_BYTES } from "./node_routes.ts";

const TOKEN = "s3cret-admin-token";

/** A network of `count` nodes on 127.0.0.1, the first `exposed` of them served by one admin app. */
async function setup(count = 4, exposed = 1, options: Partial<AdminAppOptions> = {}) {
  const metrics = new CqkdMetrics();
  const host = new NodeHost({ ...metricsHooks(metrics), rpcTimeoutMs: 300, lookupStallMs: 100 });
  metrics.observe(host);
  const seed = host.start();
  for (let i = 1; i < count; i++) {
    await host.start().bootstrap([seed.address]);
    await host.settled();
  }
  const entries: AdminNode[] = host.nodes().slice(0, exposed).map((node, i) => ({ name: `node-${i}`, node }));
  const app = adminApp({ name: "test", nodes: { list: () => entries }, metrics, token: TOKEN, ...options });
  const send = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    app.request(path, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
  return { app, host, metrics, entries, send, [Symbol.asyncDispose]: () => host.stopAll() };
}

async function expectError(response: Response | Promise<Response>, status: number, message?: RegExp) {
  const answer = await response;
  assert.equal(answer.status, status);
  const body = await answer.json();
  assert.equal(typeof body.error, "string");
  if (message) assert.match(body.error, message);
}

Deno.test("adminApp serves the legacy GET /network-status with every field of the right type", async () => {
  await using t = await setup(6);
  const node = t.entries[0]!.node;
  for (const path of ["/network-status", `/nodes/node-0/network-status`, `/nodes/${node.id.hex}/network-status`]) {
    const response = await t.app.request(path);
    assert.equal(response.status, 200, path);
    const status = await response.json();
    assert.equal(status.node_id, node.id.hex);
    const table = status.routing_table;
    for (const field of ["total_nodes", "active_buckets", "total_buckets", "bucket_capacity"]) {
      assert.equal(typeof table[field], "number", field);
    }
    assert.equal(table.total_nodes, 5);
    assert.equal(table.bucket_capacity, 20);
    assert.ok(Array.isArray(table.buckets_detail) && table.buckets_detail.length === table.total_buckets);
    const detail = table.buckets_detail[0];
    assert.deepEqual(Object.keys(detail).sort(), ["bucket_index", "depth", "node_count", "nodes"]);
    assert.equal(table.all_nodes.length, 5);
    assert.deepEqual(Object.keys(table.all_nodes[0]).sort(), ["id", "ip", "port"]);
    assert.equal(typeof table.all_nodes[0].port, "number");
    assert.equal(typeof table.bucket_distribution, "object");
    assert.equal(Object.values<number>(table.bucket_distribution).reduce((a, b) => a + b, 0), 5);
    assert.equal(typeof table.network_health.well_distributed, "boolean");
    assert.equal(typeof table.network_health.single_bucket_overload, "boolean");
    const score = table.network_health.distribution_score;
    assert.ok(typeof score === "number" && score >= 0 && score <= 1);
    const metrics = status.network_metrics;
    assert.equal(metrics.total_nodes, 5);
    assert.equal(typeof metrics.active_buckets, "number");
    assert.equal(typeof metrics.capacity_usage_percentage, "number");
    assert.ok(["healthy", "degraded", "isolated"].includes(metrics.network_health));
    assert.equal(metrics.discovery_ready, true);
  }
});

Deno.test("adminApp serves health, process status, node list, node status and routing table", async () => {
  await using t = await setup(3);
  const node = t.entries[0]!.node;
  assert.deepEqual(await (await t.app.request("/health")).json(), { host: "test", pid: Deno.pid });
  const status = await (await t.app.request("/status")).json();
  assert.equal(status.nodes, 1);
  assert.deepEqual(status.roles, { worker: 1 });
  assert.deepEqual(await (await t.app.request("/nodes")).json(), [
    { name: "node-0", id: node.id.hex, role: "worker", address: formatPeer(node.address), contacts: 2 },
  ]);
  const nodeStatus = await (await t.app.request("/nodes/node-0/status")).json();
  assert.equal(nodeStatus.id, node.id.hex);
  assert.equal(nodeStatus.parameters.k, 20);
  assert.ok(nodeStatus.transport.requestsIn > 0);
  const table = await (await t.app.request("/routing-table")).json();
  assert.equal(table.size, 2);
  assert.equal(table.contacts.length, 2);
  assert.match(table.buckets[0].lo, /^[0-9a-f]{40}$/);
  await expectError(t.app.request("/nodes/nobody/status"), 404, /^No node named or with id nobody/);
  await expectError(t.app.request("/nodes/node-0/nothing"), 404, /^No such endpoint: GET/);
});

Deno.test("adminApp answers the node endpoints at the top level only when the process runs one node", async () => {
  await using t = await setup(3, 2);
  await expectError(t.app.request("/network-status"), 404, /runs 2 nodes: ask for one by name or id/);
  assert.equal((await t.app.request("/nodes/node-1/network-status")).status, 200);
});

Deno.test("adminApp GET /metrics serves Prometheus text with the nodes' RPC counters", async () => {
  await using t = await setup(3);
  const response = await t.app.request("/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /^cqkd_rpc_requests_total\{method="ping",outcome="ok"\} [1-9]\d*$/m);
  assert.match(text, /^cqkd_nodes\{role="worker"\} 3$/m);
});

Deno.test("adminApp PUT and GET /dht/:key store and read values through the DHT", async (t) => {
  await using net = await setup(5);
  const [, other] = net.host.nodes();
  for (
    const [name, value] of [
      ["string", "hello"],
      ["number", 42.5],
      ["boolean", true],
      ["big integer", { bigint: "12345678901234567890" }],
      ["bytes", { base64: btoa("\x00\x01\xff") }],
    ] as const
  ) {
    await t.step(name, async () => {
      const put = await net.send("PUT", `/dht/key-${name}`, { value });
      assert.equal(put.status, 200);
      const stored = await put.json();
      assert.equal(stored.key, `key-${name}`);
      assert.ok(stored.replicas >= 1);
      assert.deepEqual(await (await net.app.request(`/dht/key-${name}`)).json(), { key: `key-${name}`, value });
    });
  }
  assert.equal(await other!.get("key-string"), "hello", "another node reads what the API stored");
  await expectError(net.app.request("/dht/missing"), 404, /^No value under missing$/);
});

Deno.test("adminApp refuses mutations without the right token (401), even when the body is bad", async () => {
  await using t = await setup(2);
  await expectError(t.send("PUT", "/dht/k", { value: 1 }, null), 401);
  await expectError(t.send("PUT", "/dht/k", { value: 1 }, "wrong"), 401);
  await expectError(t.send("POST", "/nodes/node-0/ops/refresh", {}, "wrong"), 401);
  await expectError(t.send("POST", "/ops/isolate", "{not json", null), 401);
  await using open = await setup(2, 1, { token: undefined });
  await expectError(open.send("PUT", "/dht/k", { value: 1 }), 401, /no admin token is configured/);
});

Deno.test("adminApp refuses bad requests with 400 naming the field, and too large ones with 413", async () => {
  await using t = await setup(2);
  await expectError(t.send("PUT", "/dht/k", { value: [1, 2] }), 400, /^Invalid request body: value: /);
  await expectError(t.send("PUT", "/dht/k", { value: 1, extra: true }), 400, /^Invalid request body: /);
  await expectError(t.send("PUT", "/dht/k", { value: { base64: "not base64!" } }), 400, /^Invalid request body: /);
  await expectError(t.send("PUT", "/dht/k", "{not json"), 400);
  await expectError(t.send("PUT", `/dht/${"k".repeat(600)}`, { value: 1 }), 400, /^Invalid path: key: /);
  await expectError(t.send("PUT", "/dht/k", { value: "x".repeat(9000) }), 400, /^Cannot store the value: it is/);
  await expectError(
    t.send("PUT", "/dht/k", { value: "x".repeat(NODE_BODY_LIMIT_BYTES) }),
    413,
    /^Request body too large: the limit is 65536 bytes$/,
  );
  await expectError(t.send("POST", "/ops/refresh", { buckets: "some" }), 400, /^Invalid request body: buckets: /);
  await expectError(t.send("POST", "/ops/isolate", { ids: ["xyz"] }), 400, /ids\.0: expected a node id/);
  await expectError(t.send("POST", "/ops/fallback", { peers: ["example.com:1"] }), 400, /peers\.0: expected ip:port/);
  await expectError(t.app.request("/bootstrap/nodes?role=wizard"), 400, /^Invalid query: role: /);
  await expectError(t.app.request("/bootstrap/nodes?count=0"), 400, /^Invalid query: count: /);
});

Deno.test("adminApp ops: refresh asks for every bucket, isolate drops contacts, fallback rejoins", async () => {
  await using t = await setup(4);
  const node: KademliaNode = t.entries[0]!.node;
  const refreshed = await (await t.send("POST", "/nodes/node-0/ops/refresh", {})).json();
  assert.equal(refreshed.buckets, node.table.buckets().length);
  assert.equal((await t.send("POST", "/ops/refresh", { buckets: "stale" })).status, 200);

  const victims = node.table.contacts().map((c) => c.id.hex);
  const isolated = await (await t.send("POST", "/ops/isolate", { ids: victims })).json();
  assert.deepEqual(isolated, { removed: 3, removedIds: victims, contacts: 0, blocked: 0 });

  await expectError(t.send("POST", "/ops/fallback", {}), 409, /^No fallback bootstrap nodes are configured$/);
  const seed = t.host.nodes()[1]!;
  const rejoined = await (await t.send("POST", "/ops/fallback", { peers: [formatPeer(seed.address)] })).json();
  assert.deepEqual(rejoined.reached, [formatPeer(seed.address)]);
  assert.equal(rejoined.contacts, 3);
  await t.host.stop(seed);
  await expectError(t.send("POST", "/ops/fallback", { peers: [formatPeer(seed.address)] }), 502, /^Cannot join/);
});

Deno.test("adminApp ops/isolate with block keeps the ids out: the table lists them as blocked, refresh does not bring them back", async () => {
  await using t = await setup(5);
  const node: KademliaNode = t.entries[0]!.node;
  const [outcast, other] = node.table.contacts().map((c) => c.id.hex);
  const answer = await (await t.send("POST", "/ops/isolate", { ids: [outcast, other!.toUpperCase()], block: true }))
    .json();
  assert.deepEqual(answer, { removed: 2, removedIds: [outcast, other], contacts: 2, blocked: 2 });
  assert.equal((await t.send("POST", "/ops/refresh", {})).status, 200);
  const table = await (await t.app.request("/routing-table")).json();
  assert.deepEqual(table.blocked, [outcast, other]);
  assert.deepEqual(table.contacts.map((c: { id: string }) => c.id).filter((id: string) => id === outcast), []);
  assert.equal(table.size, 2, "the other two are still known");
});

Deno.test("adminApp ops/fallback rejoins through the configured fallback nodes when none are named", async () => {
  const metrics = new CqkdMetrics();
  await using seed = KademliaNode.start();
  await using lone = KademliaNode.start();
  const app = adminApp({
    name: "lone",
    nodes: { list: () => [{ name: "lone", node: lone }] },
    metrics,
    token: TOKEN,
    fallbackPeers: [seed.address],
  });
  const answer = await app.request("/ops/fallback", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: "{}",
  });
  assert.deepEqual(await answer.json(), { reached: [formatPeer(seed.address)], contacts: 1 });
});

Deno.test("adminApp GET /bootstrap/nodes answers from a bootstrap node's load balancer", async () => {
  await using t = await setup(2);
  await expectError(t.app.request("/bootstrap/nodes"), 404, /^No bootstrap node runs in this process$/);
  const node = t.entries[0]!.node;
  await using service = BootstrapService.attach(node, { tier: "local", name: "local-1", heartbeatMs: 60_000 });
  const entries: AdminNode[] = [{ name: "local-1", node, bootstrap: service }];
  const app = adminApp({ name: "b", nodes: { list: () => entries }, metrics: t.metrics });
  const answer = await (await app.request("/bootstrap/nodes?role=worker&count=5")).json();
  assert.equal(answer.via, "local-1");
  assert.equal(answer.nodes.length, 1);
  assert.equal(answer.nodes[0].name, "local-1");
  assert.equal(answer.nodes[0].capacity, 50);
  await expectError(app.request("/bootstrap/nodes?via=other"), 404, /^No bootstrap node named other here$/);
});

Deno.test("jsonErrors answers NotFoundError 404, ConflictError 409, any other error (RangeError too) 500", async () => {
  const app = new Hono().onError(jsonErrors);
  app.get("/missing", () => {
    throw new NotFoundError("No such thing");
  });
  app.get("/taken", () => {
    throw new ConflictError("Already taken");
  });
  app.get("/bug", () => {
    throw new RangeError("Index out of range");
  });
  const answer = async (path: string) => {
    const response = await app.request(path);
    return [response.status, await response.json()];
  };
  assert.deepEqual(await answer("/missing"), [404, { error: "No such thing" }]);
  assert.deepEqual(await answer("/taken"), [409, { error: "Already taken" }]);
  assert.deepEqual(await answer("/bug"), [500, { error: "Internal error: Index out of range" }]);
});
