import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSettings } from "../../core/config/mod.ts";
import { SigningIdentity } from "../../core/crypto/mod.ts";
import { backupConfig, BackupError, encodeBundle, restoreConfig, type RestoreOptions } from "./mod.ts";

const KEY = "backup-test-key-0123";

/** A configuration on disk: a config file naming a tokens file and a state directory holding a node identity. */
async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "cqkd-backup-test-" });
  const paths = {
    config: join(dir, "cqkd.yaml"),
    tokens: join(dir, "tokens.yaml"),
    identity: join(dir, "state", "identities", "worker-1.pem"),
    backup: join(dir, "backup.json"),
  };
  await Deno.mkdir(join(dir, "state", "identities"), { recursive: true });
  await Deno.mkdir(join(dir, "state", "logs"));
  await Deno.writeTextFile(join(dir, "state", "logs", "noise.key"), "not a key: logs are skipped");
  await Deno.writeTextFile(paths.tokens, "- {name: ops, scope: write, token: operator-token-0001}\n", { mode: 0o600 });
  await Deno.writeTextFile(
    paths.config,
    `ksize: 30\nadmin_tokens_file: ${paths.tokens}\nstate_dir: ${join(dir, "state")}\n`,
  );
  await Deno.writeTextFile(paths.identity, SigningIdentity.generate().toPem(), { mode: 0o600 });
  const settings = await loadSettings({ configPath: paths.config, env: {} });
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(
        [paths.config, paths.tokens, paths.identity].map(async (
          p,
        ) => [p, await Deno.readTextFile(p).catch(() => null)]),
      ),
    );
  const restore: RestoreOptions = { key: KEY, directories: [dir] };
  return {
    dir,
    paths,
    settings,
    snapshot,
    restore,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("backupConfig → restoreConfig brings back the config file, the tokens file and the node identity", async () => {
  await using t = await setup();
  const before = await t.snapshot();
  const report = await backupConfig(t.settings, t.paths.config, t.paths.backup, KEY);
  assert.deepEqual(report.files.map((f) => f.role), ["config", "admin_tokens_file", "state key"]);
  assert.equal((await Deno.stat(t.paths.backup)).mode! & 0o777, 0o600);
  await assert.rejects(backupConfig(t.settings, t.paths.config, t.paths.backup, KEY), /the file exists$/);

  await Deno.remove(t.paths.tokens);
  await Deno.remove(join(t.dir, "state"), { recursive: true });
  const restored = await restoreConfig(t.paths.backup, t.restore);
  assert.deepEqual(restored.map((r) => r.action), ["unchanged", "written", "written"]);
  assert.deepEqual(await t.snapshot(), before);
  assert.equal((await Deno.stat(t.paths.identity)).mode! & 0o777, 0o600);
});

Deno.test("restoreConfig refuses differing files without force, and with force keeps a copy of each", async () => {
  await using t = await setup();
  await backupConfig(t.settings, t.paths.config, t.paths.backup, KEY);
  const original = await Deno.readTextFile(t.paths.config);
  await Deno.writeTextFile(t.paths.config, "ksize: 40\n");
  await assert.rejects(
    restoreConfig(t.paths.backup, t.restore),
    (e) =>
      e instanceof BackupError && /1 file\(s\) differ from the backup \(.*cqkd\.yaml\); add --force/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(t.paths.config), "ksize: 40\n", "nothing written");
  const [config] = await restoreConfig(t.paths.backup, { ...t.restore, force: true });
  assert.equal(config!.action, "replaced");
  assert.equal(await Deno.readTextFile(config!.keptAs!), "ksize: 40\n");
  assert.equal(await Deno.readTextFile(t.paths.config), original);
});

Deno.test("restoreConfig refuses a damaged or invalid backup and writes nothing", async (t) => {
  await using env = await setup();
  await backupConfig(env.settings, env.paths.config, env.paths.backup, KEY);
  const good = await Deno.readTextFile(env.paths.backup);
  const bundle = JSON.parse(good).bundle;
  await Deno.remove(env.paths.tokens);
  const before = await env.snapshot();
  const refused = async (text: string, message: RegExp) => {
    await Deno.writeTextFile(env.paths.backup, text);
    await assert.rejects(
      restoreConfig(env.paths.backup, env.restore),
      (e) => e instanceof BackupError && message.test(e.message),
    );
    assert.deepEqual(await env.snapshot(), before, "nothing written");
  };
  await t.step("a flipped byte: the checksum does not match", async () => {
    const index = good.indexOf('"base64": "') + 20;
    const flipped = good.slice(0, index) + (good[index] === "A" ? "B" : "A") + good.slice(index + 1);
    await refused(flipped, /the checksum does not match: the backup is damaged, or was made with another key$/);
  });
  await t.step("truncated: not JSON", () => refused(good.slice(0, 100), /it is not JSON/));
  const resealed = (edit: (b: typeof bundle) => void) => {
    const copy = structuredClone(bundle);
    edit(copy);
    return encodeBundle(copy, KEY);
  };
  await t.step("a config file the settings schema refuses, checksum intact", async () => {
    const text = await resealed((b) => b.files[0].base64 = btoa("ksize: 1000\n"));
    await refused(
      text,
      /cqkd\.yaml \(config\): Invalid setting ksize from file .*cqkd\.yaml line 1: 1000 is out of range/,
    );
  });
  await t.step("a bad tokens file", async () => {
    const text = await resealed((b) =>
      b.files[1].base64 = btoa("- {name: x, scope: root, token: operator-token-0001}")
    );
    await refused(text, /tokens\.yaml \(admin_tokens_file\): Invalid admin tokens file/);
  });
  await t.step("a broken private key", async () => {
    const text = await resealed((b) =>
      b.files[2].base64 = btoa("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    );
    await refused(text, /worker-1\.pem \(state key\): /);
  });
  await t.step("a relative path", async () => {
    await refused(await resealed((b) => b.files[1].path = "tokens.yaml"), /files\.1\.path: expected an absolute path/);
  });
  await t.step("a checksum without a key (anyone could make it)", async () => {
    const { createHash } = await import("node:crypto");
    const checksum = "sha256:" + createHash("sha256").update(JSON.stringify(bundle)).digest("hex");
    await refused(JSON.stringify({ checksum, bundle }), /its checksum has no key/);
  });
  await t.step("keyed with another key", async () => {
    await refused(encodeBundle(bundle, "another-key-0123456"), /made with another key$/);
  });
  await t.step("a path outside the state and config directories, checksum intact", async () => {
    const outside = await resealed((b) => b.files[1].path = "/etc/cron.d/cqkd-restore-test");
    await refused(outside, /\/etc\/cron\.d\/cqkd-restore-test is outside the state and config directories/);
    const climbing = await resealed((b) => b.files[1].path = `${env.dir}/../cqkd-restore-test`);
    await refused(climbing, /is outside the state and config directories/);
  });
  await t.step("a path through a symbolic link out of the directory", async () => {
    const away = await Deno.makeTempDir({ prefix: "cqkd-restore-away-" });
    try {
      await Deno.symlink(away, join(env.dir, "link"));
      await refused(await resealed((b) => b.files[1].path = join(env.dir, "link", "planted")), /is outside/);
      assert.deepEqual([...Deno.readDirSync(away)], [], "nothing planted");
    } finally {
      await Deno.remove(away, { recursive: true });
    }
  });
});
