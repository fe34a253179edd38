import assert from "node:assert/strict";
import { KademliaNode } from "../../core/kademlia/mod.ts";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import { AuditLog } from "../audit/mod.ts";
import { AccessTokens, type TokenEntry } from "./access_tokens.ts";
import { adminApp, type AdminAppOptions } from "./admin_app.ts";

const WRITER = "writer-token-0123456789";
const READER = "reader-token-0123456789";

/** An admin app over one real node, with an audit log in a temporary file; requests come "from" `address`. */
async function setup(entries: TokenEntry[], options: Partial<AdminAppOptions> = {}) {
  const node = KademliaNode.start();
  const metrics = new CqkdMetrics();
  const auditPath = await Deno.makeTempFile({ prefix: "cqkd-audit-", suffix: ".jsonl" });
  const app = adminApp({
    name: "gate",
    nodes: { list: () => [{ name: "n", node }] },
    metrics,
    tokens: new AccessTokens(entries),
    audit: new AuditLog(auditPath),
    ...options,
  });
  const send = (method: string, path: string, token?: string, address = "10.0.0.7", body?: unknown) =>
    app.request(path, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }, { remoteAddr: { hostname: address, port: 40000, transport: "tcp" } });
  return {
    app,
    metrics,
    send,
    audit: () => AuditLog.read(auditPath).entries,
    [Symbol.asyncDispose]: async () => {
      await node.stop();
      await Deno.remove(auditPath);
    },
  };
}

const bothScopes: TokenEntry[] = [
  { name: "ops", scope: "write", token: WRITER },
  { name: "grafana", scope: "read", token: READER },
];

Deno.test("accessControl refuses a mutation without a token (401) and with a read token (403), and audits both", async () => {
  await using t = await setup(bothScopes);
  const none = await t.send("POST", "/ops/isolate", undefined, "10.0.0.7", { ids: ["a".repeat(40)] });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="cqkd"');
  assert.match((await none.json()).error, /^Missing bearer token: mutations need a write token$/);
  const wrong = await t.send("PUT", "/dht/k", "not-a-token", "10.0.0.8", { value: 1 });
  assert.equal(wrong.status, 401);
  assert.match((await wrong.json()).error, /^Unknown bearer token$/);
  const read = await t.send("PUT", "/dht/k", READER, "10.0.0.9", { value: "secret value" });
  assert.equal(read.status, 403);
  assert.match((await read.json()).error, /^Token grafana has read scope: mutations need a write token$/);
  const ok = await t.send("PUT", "/dht/k", WRITER, "10.0.0.9", { value: "secret value" });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();

  const lines = t.audit();
  assert.deepEqual(lines.map((l) => [l.who, l.client, l.method, l.path, l.status, l.ok]), [
    ["anonymous", "10.0.0.7", "POST", "/ops/isolate", 401, false],
    ["anonymous", "10.0.0.8", "PUT", "/dht/k", 401, false],
    ["grafana", "10.0.0.9", "PUT", "/dht/k", 403, false],
    ["ops", "10.0.0.9", "PUT", "/dht/k", 200, true],
  ]);
  assert.equal(lines[2]!.error, "Token grafana has read scope: mutations need a write token");
  assert.deepEqual(lines[3]!.args, { value: "[redacted]" }, "a DHT value never reaches the audit log");
  assert.ok(lines.every((l) => typeof l.time === "string" && !Number.isNaN(Date.parse(l.time))));
  assert.ok(!JSON.stringify(lines).includes("secret value") && !JSON.stringify(lines).includes(WRITER));
});

Deno.test("accessControl audits a failed mutation with its error and lists by length when long", async () => {
  await using t = await setup(bothScopes);
  const ids = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(40, "0"));
  assert.equal((await t.send("POST", "/ops/isolate", WRITER, undefined, { ids })).status, 200);
  const conflict = await t.send("POST", "/ops/fallback", WRITER, undefined, {});
  assert.equal(conflict.status, 409);
  const [isolate, fallback] = t.audit();
  assert.deepEqual(isolate!.args, { ids: { count: 40 } });
  assert.equal(fallback!.error, "No fallback bootstrap nodes are configured");
});

Deno.test("accessControl opens reads when no read token is configured, and guards them otherwise", async (t) => {
  await t.step("only a write token: reads are open", async () => {
    await using open = await setup([{ name: "ops", scope: "write", token: WRITER }]);
    assert.equal((await open.send("GET", "/status")).status, 200);
    assert.equal((await open.send("GET", "/routing-table", "anything")).status, 200);
  });
  await t.step("a read token configured: reads need a token of either scope, /health stays open", async () => {
    await using guarded = await setup(bothScopes);
    const refused = await guarded.send("GET", "/status");
    assert.equal(refused.status, 401);
    assert.match((await refused.json()).error, /^Missing bearer token: reads need a read or write token$/);
    assert.equal((await guarded.send("GET", "/metrics", "wrong-token")).status, 401);
    assert.equal((await guarded.send("GET", "/status", READER)).status, 200);
    assert.equal((await guarded.send("GET", "/network-status", WRITER)).status, 200);
    assert.equal((await guarded.send("GET", "/health")).status, 200);
    assert.deepEqual(guarded.audit(), [], "reads are not audited");
  });
  await t.step("no token at all: reads open, mutations off", async () => {
    await using none = await setup([]);
    assert.equal((await none.send("GET", "/status")).status, 200);
    const refused = await none.send("PUT", "/dht/k", WRITER, undefined, { value: 1 });
    assert.equal(refused.status, 401);
    assert.match((await refused.json()).error, /no admin token is configured/);
  });
});

Deno.test("accessControl answers 429 with Retry-After past the burst, per address and per token, then recovers", async () => {
  let now = 0;
  await using t = await setup(bothScopes, { rateLimit: { ratePerS: 2, burst: 3, nowMs: () => now } });
  for (let i = 0; i < 3; i++) assert.equal((await t.send("GET", "/health", undefined, "10.0.0.1")).status, 200);
  const limited = await t.send("GET", "/health", undefined, "10.0.0.1");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "1");
  assert.match((await limited.json()).error, /^Too many requests from 10\.0\.0\.1: retry in 1 s$/);
  assert.equal((await t.send("GET", "/health", undefined, "10.0.0.2")).status, 200, "another address has its own");

  // One token used from many addresses still has one bucket.
  for (let i = 0; i < 3; i++) assert.equal((await t.send("GET", "/status", READER, `10.1.0.${i}`)).status, 200);
  const byToken = await t.send("GET", "/status", READER, "10.1.0.9");
  assert.equal(byToken.status, 429);
  assert.match((await byToken.json()).error, /^Too many requests from token grafana/);

  now += 500; // 2 requests/s: one token back
  assert.equal((await t.send("GET", "/health", undefined, "10.0.0.1")).status, 200);
  assert.equal((await t.send("GET", "/health", undefined, "10.0.0.1")).status, 429);
  const text = await t.metrics.render();
  assert.match(text, /^cqkd_admin_rate_limited_total\{by="address"\} 2$/m);
  assert.match(text, /^cqkd_admin_rate_limited_total\{by="token"\} 1$/m);
});
