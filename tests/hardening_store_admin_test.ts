/**
 * The admin API as an attacker on the network sees it, on a real HTTP server: a container's API on 0.0.0.0 must not
 * serve DHT values without a token, and a page rebound to 127.0.0.1 (DNS rebinding) must be refused. (A guessable
 * admin token stopping the API from starting: hardening_store_cli_test.ts.)
 */
import assert from "node:assert/strict";
import { loadSettings } from "../core/config/mod.ts";
import { NodeHost } from "../core/host.ts";
import { CqkdMetrics } from "../core/metrics/mod.ts";
import type { AdminNode } from "../ops/admin/mod.ts";
import { serveNodeAdmin } from "../ops/node_admin.ts";

const TOKEN = "hardening-admin-token";

interface Reply {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** The admin API of one node, served on a real HTTP server with the given settings. */
interface ServedApi extends AsyncDisposable {
  port: string;
  get(path: string, headers?: Record<string, string>): Promise<Reply>;
  /** A GET naming `hostHeader` as its Host, over a raw TCP connection (fetch sets Host from the URL). */
  getAs(hostHeader: string, path: string): Promise<Reply>;
}

async function serve(flags: Record<string, unknown>): Promise<ServedApi> {
  const host = new NodeHost();
  const node = host.start();
  await node.set("secret", "a DHT value");
  const settings = await loadSettings({ env: {}, flags: { admin_token: TOKEN, ...flags } });
  const entry: AdminNode = { name: "n1", node };
  const server = await serveNodeAdmin(() => entry, settings, new CqkdMetrics(), () => {});
  const port = new URL(server.url).port;
  return {
    get: (path: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      })),
    async getAs(hostHeader: string, path: string) {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      const request = `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`;
      await conn.write(new TextEncoder().encode(request));
      const text = await new Response(conn.readable).text();
      const [head = "", body = ""] = text.split("\r\n\r\n");
      return {
        status: Number(head.split(" ")[1]),
        body: body.includes("{") ? JSON.parse(body.slice(body.indexOf("{"), body.lastIndexOf("}") + 1)) : {},
      };
    },
    port,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await host.stopAll();
    },
  };
}

Deno.test("An admin API off loopback serves no DHT value (nor any read but /health and /metrics) without a token", async () => {
  await using api = await serve({ admin_host: "0.0.0.0" });
  const refused = await api.get("/dht/secret");
  assert.equal(refused.status, 401);
  assert.match(refused.body.error, /not on loopback, so reads need a read or write token/);
  for (const path of ["/status", "/network-status", "/nodes", "/diagnose"]) {
    assert.equal((await api.get(path)).status, 401, path);
  }
  assert.equal((await api.get("/health")).status, 200);
  const read = await api.get("/dht/secret", { authorization: `Bearer ${TOKEN}` });
  assert.equal(read.status, 200);
  assert.equal(read.body.value, "a DHT value");
});

Deno.test("An admin API on loopback refuses a rebound host name, and answers its IP, localhost and listed names", async () => {
  await using api = await serve({ admin_allowed_hosts: ["cqkd.internal"] });
  const rebound = await api.getAs(`attacker.example:${api.port}`, "/dht/secret");
  assert.equal(rebound.status, 421);
  assert.match(rebound.body.error, /^Host attacker\.example is not allowed/);
  assert.equal((await api.get("/dht/secret")).status, 200, "loopback reads stay open by IP");
  assert.equal((await api.getAs(`localhost:${api.port}`, "/dht/secret")).status, 200);
  assert.equal((await api.getAs(`CQKD.internal:${api.port}`, "/dht/secret")).status, 200);
  assert.equal((await api.getAs(`[::1]:${api.port}`, "/dht/secret")).status, 200);
});
