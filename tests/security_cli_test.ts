/**
 * Admin access control and the audit log as a user meets them: a real `cqkd node` process with tokens of both
 * scopes and rate limits from its settings, and the CLI's procedures (`shutdown`, `config backup|restore`) writing
 * to the same audit log, read back with `cqkd audit`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AuditEntry } from "../ops/audit/mod.ts";
import { cqkd, freePort, NodeProcess } from "./_cli.ts";

const WRITER = "writer-token-0123456789";
const READER = "reader-token-0123456789";
const BACKUP_ENV = { CQKD_BACKUP_KEY: "backup-key-0123456789" };

async function auditEntries(settings: string[]): Promise<AuditEntry[]> {
  const run = await cqkd([...settings, "audit", "--json", "--tail", "1000"]);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("cqkd node: read/write scopes, 429 then recovery, and every mutation audited beside the CLI's procedures", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cqkd-security-test-" });
  const tokens = join(dir, "tokens.yaml");
  await Deno.writeTextFile(
    tokens,
    `- {name: ops, scope: write, token: ${WRITER}}\n- {name: grafana, scope: read, token: ${READER}}\n`,
  );
  const settings = ["--set", `state_dir=${dir}`, "--set", `admin_tokens_file=${tokens}`];
  const node = new NodeProcess([
    "super-bootstrap",
    "--port",
    String(freePort()),
    "--bootstrap",
    "127.0.0.1:1",
    ...settings,
    ...["--set", "rpc_timeout=0.2", "--set", "admin_rate_limit=5", "--set", "admin_rate_burst=8"],
  ]);
  try {
    const { admin } = await node.event();
    assert.equal((await node.event()).event, "alone");
    const send = async (method: string, path: string, token?: string, body?: unknown) => {
      const response = await fetch(`${admin}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      await response.body?.cancel();
      return response;
    };
    assert.equal((await send("GET", "/status")).status, 401, "a read token is configured: reads need a token");
    assert.equal((await send("GET", "/status", READER)).status, 200);
    assert.equal((await send("PUT", "/dht/k", undefined, { value: 1 })).status, 401);
    assert.equal((await send("PUT", "/dht/k", READER, { value: 1 })).status, 403);
    assert.equal((await send("PUT", "/dht/k", WRITER, { value: 1 })).status, 200);

    let limited: Response | undefined;
    for (let i = 0; i < 20 && limited === undefined; i++) {
      const response = await send("GET", "/health");
      if (response.status === 429) limited = response;
    }
    assert.ok(limited, "the burst of 8 runs out");
    assert.equal(limited.headers.get("retry-after"), "1");
    await new Promise((resolve) => setTimeout(resolve, 400)); // 5 requests/s: two back
    assert.equal((await send("GET", "/health")).status, 200, "recovers");
    const metrics = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${READER}` } });
    assert.match(await metrics.text(), /^cqkd_admin_rate_limited_total\{by="address"\} [1-9]/m);
  } finally {
    assert.equal((await node.stop()).code, 0);
  }
  try {
    assert.equal((await cqkd([...settings, "shutdown"])).code, 0, "nothing to stop, and audited all the same");
    const entries = await auditEntries(settings);
    const mutations = entries.filter((e) => e.method !== undefined);
    assert.deepEqual(mutations.map((e) => [e.who, e.client, e.method, e.path, e.status]), [
      ["anonymous", "127.0.0.1", "PUT", "/dht/k", 401],
      ["grafana", "127.0.0.1", "PUT", "/dht/k", 403],
      ["ops", "127.0.0.1", "PUT", "/dht/k", 200],
    ]);
    const procedures = entries.filter((e) => e.procedure !== undefined);
    assert.deepEqual(procedures.map((e) => [e.procedure, e.ok]), [["node", true], ["shutdown", true]]);
    assert.equal(procedures[0]!.pid, mutations[0]!.pid, "the node process audits its API and its own run");
    assert.notEqual(procedures[1]!.pid, procedures[0]!.pid);
    assert.equal(procedures[0]!.args?.role, "super-bootstrap");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cqkd config backup and restore: round trip, a damaged backup refused with nothing written, all audited", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cqkd-backup-cli-test-" });
  try {
    const config = join(dir, "cqkd.yaml");
    const tokens = join(dir, "tokens.yaml");
    const backup = join(dir, "backup.json");
    await Deno.writeTextFile(tokens, `- {name: ops, scope: write, token: ${WRITER}}\n`);
    await Deno.writeTextFile(config, `ksize: 30\nadmin_tokens_file: ${tokens}\nstate_dir: ${dir}\n`);
    const global = ["--config", config];
    const made = await cqkd([...global, "config", "backup", "-o", backup, "--json"], BACKUP_ENV);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(JSON.parse(made.stdout).files.map((f: { role: string }) => f.role), [
      "config",
      "admin_tokens_file",
    ]);

    await Deno.remove(tokens);
    await Deno.writeTextFile(config, `ksize: 31\nstate_dir: ${dir}\n`);
    const refused = await cqkd([...global, "config", "restore", backup], BACKUP_ENV);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /1 file\(s\) differ from the backup .*add --force/);
    await assert.rejects(Deno.stat(tokens), Deno.errors.NotFound, "nothing written");

    const restored = await cqkd([...global, "config", "restore", backup, "--force", "--json"], BACKUP_ENV);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(JSON.parse(restored.stdout).map((r: { action: string }) => r.action), ["replaced", "written"]);
    assert.match(await Deno.readTextFile(config), /^ksize: 30\n/);

    const text = await Deno.readTextFile(backup);
    await Deno.writeTextFile(backup, text.replace("ksize", "ksizf").replace(/"base64": "a/, '"base64": "b'));
    await Deno.remove(tokens);
    const damaged = await cqkd([...global, "config", "restore", backup, "--force"], BACKUP_ENV);
    assert.equal(damaged.code, 2);
    assert.match(damaged.stderr, /the checksum does not match: the backup is damaged/);
    await assert.rejects(Deno.stat(tokens), Deno.errors.NotFound, "nothing written");

    const procedures = (await auditEntries(global)).map((e) => [e.procedure, e.ok, e.args?.force]);
    assert.deepEqual(procedures, [
      ["config backup", true, undefined],
      ["config restore", false, false],
      ["config restore", true, true],
      ["config restore", false, true],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
