/**
 * The small findings, as a user (or an attacker handing the user a file) meets them through real processes:
 * `cqkd config restore` of a planted bundle, `cqkd config show` printing the admin token, a guessable admin token,
 * `bench:fuzz --help`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { loadSettings } from "../core/config/mod.ts";
import { KademliaNode } from "../core/kademlia/mod.ts";
import { CqkdMetrics } from "../core/metrics/mod.ts";
import { encodeBundle } from "../ops/backup/mod.ts";
import { serveNodeAdmin } from "../ops/node_admin.ts";
import { cqkd } from "./_cli.ts";

const KEY = { CQKD_BACKUP_KEY: "cli-backup-key-012345" };

Deno.test("cqkd config restore refuses a planted bundle: no keyed checksum, or a path outside the state and config directories", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cqkd-restore-attack-" });
  const away = await Deno.makeTempDir({ prefix: "cqkd-restore-target-" });
  try {
    const config = join(dir, "cqkd.yaml");
    await Deno.writeTextFile(config, `state_dir: ${join(dir, "state")}\n`);
    const planted = join(away, "authorized_keys");
    const bundle = {
      format: "cqkd-config-backup" as const,
      version: 1 as const,
      createdAt: new Date().toISOString(),
      files: [{ role: "state key", path: planted, mode: 0o600, base64: btoa("ssh-ed25519 AAAA attacker\n") }],
    };
    const backup = join(dir, "backup.json");
    const restore = () => cqkd(["--config", config, "config", "restore", backup, "--force"], KEY);

    // Anyone can compute a plain SHA-256: it proves nothing.
    const checksum = "sha256:" + createHash("sha256").update(JSON.stringify(bundle)).digest("hex");
    await Deno.writeTextFile(backup, JSON.stringify({ checksum, bundle }));
    const unkeyed = await restore();
    assert.equal(unkeyed.code, 2);
    assert.match(unkeyed.stderr, /its checksum has no key/);

    // Even with the right key, a path outside the state and config directories is refused.
    await Deno.writeTextFile(backup, encodeBundle(bundle, KEY.CQKD_BACKUP_KEY));
    const outside = await restore();
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /authorized_keys is outside the state and config directories/);
    await assert.rejects(Deno.stat(planted), Deno.errors.NotFound, "nothing planted");

    // Without the key, neither a backup nor a restore runs.
    const noKey = await cqkd(["--config", config, "config", "backup", "-o", join(dir, "b2.json")]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set CQKD_BACKUP_KEY to a secret of 16\+ characters/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(away, { recursive: true });
  }
});

Deno.test("cqkd config show redacts the admin token (YAML and JSON), and shows an unset one as empty", async () => {
  const token = "do-not-print-this-token";
  const yaml = await cqkd(["--set", `admin_token=${token}`, "config", "show"]);
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.ok(!yaml.stdout.includes(token));
  assert.match(yaml.stdout, /admin_token: "?\[redacted\]"?/);
  const json = await cqkd(["--set", `admin_token=${token}`, "config", "show", "--json"]);
  assert.equal(JSON.parse(json.stdout).admin_token, "[redacted]");
  assert.equal(JSON.parse((await cqkd(["config", "show", "--json"])).stdout).admin_token, "");
});

Deno.test("bench:fuzz --help prints its usage and exits 0; an unknown option exits 2 with the usage", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../bench/fuzz.ts", import.meta.url).pathname, ...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /^Usage: deno task bench:fuzz/);
  const bad = await run(["--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /Unknown option '--bogus'[\s\S]*Usage:/);
});

Deno.test("An admin token shorter than 16 characters stops the admin API from starting", async () => {
  await using node = KademliaNode.start();
  const settings = await loadSettings({ env: {}, flags: { admin_token: "guessable" } });
  await assert.rejects(serveNodeAdmin(() => ({ name: "n1", node }), settings, new CqkdMetrics(), () => {}), {
    name: "ConfigError",
    message: "Invalid admin_token: it has 9 characters, at least 16 are needed",
  });
});
