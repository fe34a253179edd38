import assert from "node:assert/strict";
import { NodeHost } from "../../core/host.ts";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import { attachNodeServices, type NodeServices } from "../../core/services/mod.ts";
import { AuditLog } from "../audit/mod.ts";
import { AccessTokens } from "./access_tokens.ts";
import { adminApp } from "./admin_app.ts";
import type { AdminNode } from "./node_directory.ts";

const WRITER = "writer-token-0123456789";
const READER = "reader-token-0123456789";

/** Two nodes with their services (the second without health checks) behind one admin app with an audit log. */
async function setup() {
  const host = new NodeHost();
  const seed = host.start();
  for (let i = 0; i < 8; i++) await host.start().bootstrap([seed.address]);
  const [first, second] = host.nodes();
  const services: NodeServices[] = [
    attachNodeServices(first!),
    attachNodeServices(second!, { health: { enabled: false } }),
  ];
  const entries: AdminNode[] = [
    { name: "node-0", node: first!, services: services[0]! },
    { name: "node-1", node: second!, services: services[1]! },
  ];
  const auditPath = await Deno.makeTempFile({ prefix: "cqkd-audit-", suffix: ".jsonl" });
  const tokens = new AccessTokens([
    { name: "ops", scope: "write", token: WRITER },
    { name: "grafana", scope: "read", token: READER },
  ]);
  const app = (list: AdminNode[]) =>
    adminApp({
      name: "test",
      nodes: { list: () => list },
      metrics: new CqkdMetrics(),
      tokens,
      audit: new AuditLog(auditPath),
    });
  const patch = (path: string, body: unknown, token: string | null = WRITER, onto = app(entries)) =>
    onto.request(path, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  return {
    entries,
    app,
    patch,
    get: (path: string) => app(entries).request(path, { headers: { authorization: `Bearer ${READER}` } }),
    audit: () => AuditLog.read(auditPath).entries,
    [Symbol.asyncDispose]: async () => {
      await Promise.all(services.map((s) => s.stop()));
      await host.stopAll();
      await Deno.remove(auditPath);
    },
  };
}

Deno.test("PATCH /nodes/:id/parameters changes a parameter live, needs a write token, and is audited", async () => {
  await using t = await setup();
  const node = t.entries[0]!.node;
  const before = await (await t.get("/nodes/node-0/parameters")).json();
  assert.deepEqual(before.kademlia.values, { alpha: 3, k: 20, timeout_ms: 5000, refresh_interval_s: 3600 });
  assert.equal(before["health-check"].values.fast_interval_s, 30);

  const anonymous = await t.patch("/nodes/node-0/parameters", { group: "kademlia", set: { k: 6 } }, null);
  assert.equal(anonymous.status, 401);
  assert.equal((await t.patch("/nodes/node-0/parameters", { group: "kademlia", set: { k: 6 } }, READER)).status, 403);
  assert.equal(node.table.k, 20, "refused: nothing changed");

  const answer = await t.patch("/nodes/node-0/parameters", { group: "kademlia", set: { k: 6, alpha: 4 } });
  assert.equal(answer.status, 200);
  const tuned = await answer.json();
  assert.deepEqual([tuned.name, tuned.group, tuned.values.k, tuned.pinned], ["node-0", "kademlia", 6, ["alpha", "k"]]);
  assert.deepEqual([node.table.k, node.alpha], [6, 4], "the live node uses them");
  t.entries[0]!.services!.adaptive.analyze();
  assert.equal(node.table.k, 6, "pinned through the next adaptive analysis");
  const after = await (await t.get("/nodes/node-0/status")).json();
  assert.deepEqual([after.parameters.k, after.parameters.alpha], [6, 4]);

  const lines = t.audit().filter((line) => line.path === "/nodes/node-0/parameters");
  assert.deepEqual(lines.map((l) => [l.who, l.method, l.status]), [
    ["anonymous", "PATCH", 401],
    ["grafana", "PATCH", 403],
    ["ops", "PATCH", 200],
  ]);
  assert.deepEqual(lines[2]!.args, { group: "kademlia", set: { k: 6, alpha: 4 }, reset: false });
});

Deno.test("PATCH …/parameters refuses bad changes with 400 naming the field, and 409 when the service is off", async () => {
  await using t = await setup();
  const refused = async (body: unknown, status: number, message: RegExp, path = "/nodes/node-0/parameters") => {
    const answer = await t.patch(path, body);
    assert.equal(answer.status, status, JSON.stringify(body));
    assert.match((await answer.json()).error, message);
  };
  await refused({ group: "kademlia", set: { k: 500 } }, 400, /^Invalid request body: set\.k: Too big/);
  await refused({ group: "kademlia", set: { alpha: 2.5 } }, 400, /^Invalid request body: set\.alpha: /);
  await refused({ group: "kademlia", set: { kk: 3 } }, 400, /^Invalid request body: set: .*"kk"/);
  await refused({ group: "kademlia", set: { fast_interval_s: 3 } }, 400, /^Invalid request body: set: /);
  await refused({ group: "turbo", set: {} }, 400, /^Invalid request body: group: /);
  await refused(
    { group: "refresh", set: { active_min_interval_s: 900 } },
    400,
    /^Invalid active_min_interval_s 900: it must not exceed stable_max_interval_s \(600\)$/,
  );
  await refused(
    { group: "health-check", set: { fast_interval_s: 5 } },
    409,
    /^Cannot tune health-check: the service is off on this node$/,
    "/nodes/node-1/parameters",
  );
  assert.equal(t.entries[0]!.node.table.k, 20);
});

Deno.test("PATCH /parameters changes every node of the process in one request and one audit line", async () => {
  await using t = await setup();
  const answer = await t.patch("/parameters", { group: "kademlia", set: { k: 6 } });
  assert.equal(answer.status, 200);
  const tuned = await answer.json();
  assert.deepEqual(tuned.nodes.map((n: { name: string; values: { k: number } }) => [n.name, n.values.k]), [
    ["node-0", 6],
    ["node-1", 6],
  ]);
  assert.equal(tuned.failed, undefined);
  assert.deepEqual(t.entries.map((e) => e.node.table.k), [6, 6]);
  assert.equal(t.audit().filter((line) => line.path === "/parameters").length, 1);

  const partly = await (await t.patch("/parameters", { group: "health-check", set: { fast_interval_s: 12 } })).json();
  assert.deepEqual(partly.nodes.map((n: { name: string }) => n.name), ["node-0"]);
  assert.deepEqual(partly.failed, [{
    name: "node-1",
    error: "Cannot tune health-check: the service is off on this node",
  }]);
  const read = await (await t.get("/parameters")).json();
  assert.deepEqual(read.nodes.map((n: { "health-check": { enabled: boolean } }) => n["health-check"].enabled), [
    true,
    false,
  ]);

  const single = t.app([t.entries[1]!]);
  const refused = await t.patch("/parameters", { group: "health-check", set: { fast_interval_s: 5 } }, WRITER, single);
  assert.equal(refused.status, 409, "every node refused: the refusal is the answer");
  await refused.body?.cancel();
});

Deno.test("GET /diagnose answers every node's diagnosis of the process", async () => {
  await using t = await setup();
  const answer = await (await t.get("/diagnose")).json();
  assert.equal(answer.name, "test");
  assert.deepEqual(answer.nodes.map((n: { name: string }) => n.name), ["node-0", "node-1"]);
  for (const [i, diagnosis] of answer.nodes.entries()) {
    const node = t.entries[i]!.node;
    assert.equal(diagnosis.id, node.id.hex);
    assert.equal(
      diagnosis.table.buckets.reduce((n: number, b: { contacts: number }) => n + b.contacts, 0),
      node.table.size,
    );
  }
  assert.deepEqual(answer.nodes.map((n: { health: { enabled: boolean } }) => n.health.enabled), [true, false]);
});
