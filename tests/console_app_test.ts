/**
 * The console served by the admin app of a process with real nodes on 127.0.0.1 (the one-node view of `cqkd
 * node`), through `app.request`: pages open without a token, data needs a read token once one is configured,
 * actions need a write token and are audited; and the pure parts (traffic histogram, history, alerts, the nodes
 * table's search and sort, sessions without key material).
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { CqkdMetrics } from "../core/metrics/mod.ts";
import { AccessTokens, adminApp, type AdminNode } from "../ops/admin/mod.ts";
import { AuditLog } from "../ops/audit/mod.ts";
import type { KeygenReport } from "../ops/cluster/keygen_route.ts";
import {
  addTotals,
  type ConsoleBackend,
  ConsoleData,
  emptyTotals,
  firingAlerts,
  HealthHistory,
  LATENCY_BUCKETS,
  latencyOf,
  type NodeHealthTuple,
  type NodeRow,
  TrafficHistory,
  withoutKeys,
} from "../ops/console/mod.ts";
import { selectNodes } from "../ops/console/views/nodes.tsx";
import { freePort, loneSuperNode } from "./_cli.ts";

const READ = "console-read-token-0001";
const WRITE = "console-write-token-0001";

async function setup() {
  const host = new NodeHost({ rpcTimeoutMs: 300, lookupStallMs: 100 });
  const seed = host.start();
  for (let i = 0; i < 3; i++) await host.start().bootstrap([seed.address]);
  const entries: AdminNode[] = [{ name: "solo", node: host.nodes()[1]! }];
  const auditPath = await Deno.makeTempFile();
  const app = adminApp({
    name: "solo",
    nodes: { list: () => entries },
    metrics: new CqkdMetrics(),
    tokens: new AccessTokens([{ name: "viewer", scope: "read", token: READ }, {
      name: "ops",
      scope: "write",
      token: WRITE,
    }]),
    audit: new AuditLog(auditPath),
  });
  const send = (path: string, token?: string, body?: unknown) =>
    app.request(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    app,
    entries,
    send,
    auditPath,
    async [Symbol.asyncDispose]() {
      await host.stopAll();
      await Deno.remove(auditPath);
    },
  };
}

Deno.test("console pages open without a token; their data needs a read token once reads are protected", async () => {
  await using t = await setup();
  const root = await t.send("/");
  assert.equal(root.status, 302);
  assert.equal(root.headers.get("location"), "/console");
  for (const page of ["/console", "/console/nodes", "/console/nodes/solo", "/console/keys", "/console/operations"]) {
    const response = await t.send(page);
    assert.equal(response.status, 200, page);
    const html = await response.text();
    assert.match(html, /<label for="token-input">Admin token<\/label>/, page);
    assert.match(html, /<html lang="en">/);
  }
  assert.match(await (await t.send("/console/assets/console.js")).text(), /sessionStorage/);
  assert.equal((await t.send("/console/api/overview")).status, 401);
  const overview = await t.send("/console/api/overview", READ);
  assert.equal(overview.status, 200);
  const html = await overview.text();
  assert.match(html, /solo: healthy/);
  assert.match(html, /data-testid="tier-worker-ready">1</);
  assert.match(overview.headers.get("server-timing") ?? "", /^total;dur=\d/);
  const node = await (await t.send("/console/api/nodes/solo", READ)).text();
  const contacts = t.entries[0]!.node.table.size; // 2 or 3: the last joiner may not have reached it yet
  assert.ok(contacts >= 2);
  assert.match(node, new RegExp(`Routing table: ${contacts} contacts`));
  assert.equal((await t.send("/console/api/nodes/nobody", READ)).status, 404);
});

Deno.test("console pages escape what the address says and forbid other scripts and framing", async () => {
  await using t = await setup();
  const attack = "/console/nodes/" + encodeURIComponent('<script>alert("x")</script>"><img src=x onerror=alert(1)>');
  const response = await t.send(attack);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.doesNotMatch(html, /<script>alert|<img src=x/);
  assert.match(html, /&lt;script&gt;alert/);
  assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  assert.match(response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  const missing = await t.send(attack.replace("/console/nodes/", "/console/api/nodes/"), READ);
  assert.equal(missing.status, 404);
  // An error is JSON (which the page shows as text), never HTML.
  assert.match(missing.headers.get("content-type") ?? "", /^application\/json/);
  await missing.body?.cancel();
});

Deno.test("console actions need a write token, act on the node, and are audited with the token's name", async () => {
  await using t = await setup();
  const tune = { group: "kademlia", assignments: "alpha=6", reset: false };
  assert.equal((await t.send("/console/api/actions/tune", undefined, tune)).status, 401);
  assert.equal((await t.send("/console/api/actions/tune", READ, tune)).status, 403);
  assert.equal(t.entries[0]!.node.alpha, 3);
  const done = await t.send("/console/api/actions/tune", WRITE, tune);
  assert.equal(done.status, 200);
  assert.match(await done.text(), /alpha=6/);
  assert.equal(t.entries[0]!.node.alpha, 6);
  const bad = await t.send("/console/api/actions/tune", WRITE, { group: "kademlia", assignments: "alpha=999" });
  assert.equal(bad.status, 409);
  assert.match((await bad.json()).error, /alpha/);
  const keygen = await t.send("/console/api/actions/keygen", WRITE, { bits: 64 });
  assert.equal(keygen.status, 409, "this node runs no key exchange");
  const lines = AuditLog.read(t.auditPath).entries.filter((e) => e.path === "/console/api/actions/tune");
  assert.deepEqual(lines.map((e) => [e.who, e.status]), [["anonymous", 401], ["viewer", 403], ["ops", 200], [
    "ops",
    409,
  ]]);
  assert.deepEqual(lines[2]!.args, tune);
});

Deno.test("a session as the console keeps it carries no key material", () => {
  const report = {
    session: "0123456789abcdef",
    ok: true,
    alice: { bits: 8, fingerprint: "aa", key: "ff" },
    bob: { bits: 8, fingerprint: "aa", key: "ff" },
    qber: 0.01,
  } as unknown as KeygenReport;
  const kept = withoutKeys(report, 5);
  assert.doesNotMatch(JSON.stringify(kept), /"key"/);
  assert.deepEqual(kept.alice, { bits: 8, fingerprint: "aa" });
  assert.equal(kept.at, 5);
});

Deno.test("traffic totals add up across processes and their histogram gives percentiles", () => {
  const a = emptyTotals(), b = emptyTotals();
  a.latency[10] = 90; // 90 samples in bucket 10
  b.latency[20] = 9;
  b.latency[30] = 1;
  Object.assign(a, { nodes: 2, requestsOut: 100, timeouts: 1 });
  addTotals(a, { ...b, nodes: 3, requestsOut: 50, timeouts: 4, latency: [...b.latency, 99] });
  assert.deepEqual([a.nodes, a.requestsOut, a.timeouts, a.latency.length], [5, 150, 5, LATENCY_BUCKETS]);
  const edge = (bucket: number) => Math.round(0.05 * 2 ** (bucket / 4) * 100) / 100;
  assert.deepEqual(latencyOf(a.latency), { samples: 100, p50Ms: edge(10), p90Ms: edge(10), p99Ms: edge(20) });
  assert.deepEqual(latencyOf(emptyTotals().latency), { samples: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0 });
});

Deno.test("the traffic history turns counters into rates and the alerts fire on its latest point", () => {
  const history = new TrafficHistory(3, 1000);
  const totals = (requestsOut: number, timeouts: number, refreshRpcs: number) => ({
    ...emptyTotals(),
    requestsOut,
    timeouts,
    refreshRpcs,
  });
  history.record(0, totals(0, 0, 0));
  history.record(500, totals(10, 0, 0)); // too soon: ignored
  history.record(2000, totals(200, 20, 100));
  const [point] = history.points();
  assert.deepEqual([point!.rpcPerS, point!.timeoutsPerS, point!.refreshOverhead], [100, 10, 0.5]);
  const alerts = firingAlerts({
    hosts: [{ name: "workers-2", alive: false }],
    tiers: [{ tier: "worker", expected: 4, ready: 2, failed: 0 }],
    traffic: point!,
  });
  assert.deepEqual(alerts.map((a) => a.name), [
    "CqkdTargetDown",
    "CqkdNodesNotReady",
    "CqkdPacketLossHigh",
    "CqkdRefreshOverheadHigh",
  ]);
  assert.deepEqual(firingAlerts({ hosts: [{ name: "h", alive: true }], tiers: [] }), []);
});

Deno.test("the nodes table searches every word in any column and sorts numbers as numbers", () => {
  const row = (name: string, role: string, contacts: number): NodeRow => ({
    name,
    role,
    region: "",
    state: "ready",
    contacts,
  });
  const rows = [row("worker-10", "worker", 5), row("worker-9", "worker", 40), row("local-1", "local-bootstrap", 12)];
  assert.deepEqual(selectNodes(rows, "", "name", false).map((r) => r.name), ["local-1", "worker-9", "worker-10"]);
  assert.deepEqual(selectNodes(rows, "WORKER", "contacts", true).map((r) => r.name), ["worker-9", "worker-10"]);
  assert.deepEqual(selectNodes(rows, "worker 10", "name", false).map((r) => r.name), ["worker-10"]);
});

Deno.test("a cqkd node process serves its one-node console at its admin port", async () => {
  const { node, listening } = await loneSuperNode(freePort());
  try {
    const admin = String(listening.admin);
    assert.match(await (await fetch(`${admin}/console`)).text(), /Network overview/);
    const overview = await (await fetch(`${admin}/console/api/overview`)).text();
    assert.match(overview, /data-testid="tier-super-bootstrap-ready">1</);
    const recover = await fetch(`${admin}/console/api/actions/recover`, { method: "POST" });
    assert.equal(recover.status, 401, "no admin_token: actions are off");
    await recover.body?.cancel();
  } finally {
    await node.stop();
  }
});

Deno.test("a node's health history keeps the newest points in order and forgets nodes gone for long", () => {
  const history = new HealthHistory(3, 1000);
  for (let i = 0; i < 5; i++) {
    history.record(
      10_000 + i * 1000,
      [["a", i, 0, 0, 1], ...(i === 0 ? [["b", 1, 1, 1, 1]] : [])] as NodeHealthTuple[],
    );
  }
  assert.deepEqual(history.of("a").map((p) => [p.t, p.healthy]), [[12_000, 2], [13_000, 3], [14_000, 4]]);
  assert.deepEqual(history.of("b"), [], "not seen for more samples than it keeps");
  history.record(14_500, [["a", 9, 9, 9, 9]]); // too soon
  assert.equal(history.of("a").at(-1)!.healthy, 4);
});

Deno.test("the sessions list puts Alice's newest first, whoever started them, and adds the console's own", async () => {
  const report = (session: string) =>
    ({
      session,
      ok: true,
      qber: 0,
      alice: { bits: 1, fingerprint: null },
      bob: { bits: 1, fingerprint: null },
    }) as unknown as KeygenReport;
  let reported = [report("a"), report("b")];
  const backend = {
    scope: "node",
    sessions: () => Promise.resolve(reported.map((r) => withoutKeys(r))),
    keygen: () => Promise.resolve(withoutKeys(report("c"))),
  } as unknown as ConsoleBackend;
  const data = new ConsoleData(backend, 1000, () => 42);
  assert.deepEqual((await data.sessions()).map((s) => s.session), ["b", "a"]);
  await data.keygen({ bits: 8, noise: 0, eve: 0 });
  assert.deepEqual((await data.sessions()).map((s) => [s.session, s.at]), [["c", 42], ["b", undefined], [
    "a",
    undefined,
  ]]);
  reported = [report("a"), report("b"), report("c"), report("d")]; // the CLI ran "d" after the console's "c"
  assert.deepEqual((await data.sessions()).map((s) => s.session), ["d", "c", "b", "a"]);
});
