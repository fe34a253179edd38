import assert from "node:assert/strict";
import { loadSettings } from "../../core/config/mod.ts";
import { Logger } from "../../core/log.ts";
import { Fleet } from "./fleet.ts";
import { hostApp } from "./host_api.ts";

async function setup() {
  const settings = await loadSettings({ env: {} });
  const fleet = new Fleet({ settings, log: new Logger("error") });
  let shutdowns = 0;
  const app = hostApp(fleet, { name: "test-host", token: "secret", onShutdown: () => shutdowns++ });
  const post = (path: string, body: unknown, token = "secret") =>
    app.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, fleet, post, shutdowns: () => shutdowns };
}

const superNode = { name: "super-1", role: "super-bootstrap", port: 0, region: "", seeds: [], fallback: [] };

Deno.test("hostApp answers reads without a token and refuses mutations without the right one (401)", async () => {
  const { app, post } = await setup();
  assert.equal((await app.request("/health")).status, 200);
  assert.deepEqual(await (await app.request("/nodes")).json(), []);
  assert.equal((await post("/nodes", { nodes: [superNode] }, "wrong")).status, 401);
  assert.equal((await app.request("/nodes/stop", { method: "POST", body: "{}" })).status, 401);
});

Deno.test("hostApp refuses bad bodies with 400 naming the field, and unknown paths with 404", async () => {
  const { app, post } = await setup();
  assert.equal((await post("/nodes", { nodes: [] }, "secret")).status, 400);
  const huge = await post("/nodes", JSON.stringify({ nodes: [], padding: "x".repeat(4 * 1024 * 1024) }));
  assert.equal(huge.status, 413);
  const bad = await post("/nodes", { nodes: [{ ...superNode, role: "wizard" }] });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /^Invalid request body: nodes\.0\.role: /);
  const malformed = await post("/nodes", "{not json");
  assert.equal(malformed.status, 400);
  assert.ok(typeof (await malformed.json()).error === "string");
  const missing = await app.request("/nope");
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "No such endpoint: GET /nope" });
});

Deno.test("hostApp starts nodes on request, reports them, and stops them", async () => {
  const { app, fleet, post, shutdowns } = await setup();
  try {
    const port = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const free = (port.addr as Deno.NetAddr).port;
    port.close();
    assert.equal((await post("/nodes", { nodes: [{ ...superNode, port: free }] })).status, 202);
    for (let i = 0; i < 100 && fleet.countsByRole()["super-bootstrap"]?.ready !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [node] = await (await app.request("/nodes")).json();
    assert.equal(node.state, "ready");
    assert.equal(node.address, `127.0.0.1:${free}`);
    assert.equal(node.capacity, 500);
    const taken = await post("/nodes", { nodes: [{ ...superNode, port: free }] });
    assert.deepEqual([taken.status, await taken.json()], [409, {
      error: "A node named super-1 already runs on this host",
    }], "same name twice");
    const unknown = await post("/find", { from: "nobody", ids: [] });
    assert.deepEqual([unknown.status, await unknown.json()], [404, {
      error: "No running node named nobody on this host",
    }]);
    const status = await (await app.request("/nodes/super-1/status")).json();
    assert.equal(status.bootstrap.tier, "super");
    assert.equal((await (await app.request("/bootstrap/nodes?role=regional-bootstrap")).json()).via, "super-1");
    assert.match(await (await app.request("/metrics")).text(), /^cqkd_nodes\{role="super-bootstrap"\} 1$/m);
    assert.deepEqual(await (await post("/nodes/stop", { roles: ["super-bootstrap"] })).json(), { stopped: 1 });
    assert.equal((await app.request("/nodes/super-1/status")).status, 404, "a stopped node is no longer served");
    assert.equal((await post("/shutdown", {})).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(shutdowns(), 1);
  } finally {
    await fleet.stopAll();
  }
});

Deno.test("hostApp starts a stopped node again under its name, with a new id, and reports its RPC figures", async () => {
  const { app, fleet, post } = await setup();
  const ready = async () => {
    for (let i = 0; i < 100 && fleet.countsByRole()["super-bootstrap"]?.ready !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return (await (await app.request("/nodes")).json())[0];
  };
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const spec = { ...superNode, port: (socket.addr as Deno.NetAddr).port };
  socket.close();
  try {
    assert.equal((await post("/nodes", { nodes: [spec] })).status, 202);
    const first = await ready();
    assert.deepEqual(first.rpc, { requestsOut: 0, timeouts: 0 });
    await post("/nodes/stop", { names: ["super-1"] });
    assert.equal((await post("/nodes", { nodes: [spec] })).status, 202);
    const again = await ready();
    assert.equal(again.state, "ready");
    assert.notEqual(again.id, first.id);
    assert.equal((await (await app.request("/nodes")).json()).length, 1, "one member per name");
  } finally {
    await fleet.stopAll();
  }
});
