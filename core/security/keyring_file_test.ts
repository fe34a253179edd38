import assert from "node:assert/strict";
import { ClusterKeyring } from "./keyring.ts";
import {
  formatKeyring,
  formatKeyringEnv,
  KeyringFileError,
  loadKeyringFile,
  parseKeyring,
  parseKeyringEnv,
  saveKeyringFile,
} from "./keyring_file.ts";

Deno.test("saveKeyringFile() writes a 0600 file that loadKeyringFile() reads back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/cluster.key`;
    const keyring = ClusterKeyring.generate().withNewPrimary();
    await saveKeyringFile(path, keyring);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const loaded = await loadKeyringFile(path);
    assert.equal(loaded.primary.id, keyring.primary.id);
    assert.deepEqual(loaded.keys.map((k) => k.secret), keyring.keys.map((k) => k.secret));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseKeyring() reads JSON too, the first key being primary when none is named", () => {
  const keyring = ClusterKeyring.generate();
  const json = JSON.stringify({ keys: [{ id: keyring.primary.id, secret: formatKeyringEnv(keyring) }] });
  assert.equal(parseKeyring(json, "k.json").primary.id, keyring.primary.id);
});

Deno.test("parseKeyring() names the source and the problem", async (t) => {
  const keyring = ClusterKeyring.generate();
  const good = formatKeyring(keyring);
  // The id line as written, quoted or not (YAML quotes an id such as 04339778 or 1507e739 that reads as a number).
  const withId = (id: string) => good.replace(/^(\s+- )id: .*$/m, `$1id: ${id}`);
  const cases: [string, string, RegExp][] = [
    ["not YAML", "keys: [", /it is not YAML or JSON/],
    ["no keys list", "primary: x", /expected a mapping with a "keys" list/],
    ["bad secret", "keys:\n  - id: 00000000\n    secret: short", /keys\[0\]\.secret must be 32 bytes in base64/],
    ["wrong id", withId('"00000000"'), /keys\[0\]\.id is 00000000, but its/],
    ["numeric id", withId("12345678"), /keys\[0\]\.id must be a string/],
    ["unknown primary", `primary: abcdef12\n${good.split("\n").slice(2).join("\n")}`, /not in the keyring/],
    ["no key", "keys: []", /it has no keys/],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseKeyring(text, "/etc/cqkd/cluster.key"), (error: Error) => {
        assert.ok(error instanceof KeyringFileError);
        assert.match(error.message, /^Cannot load the cluster keyring from \/etc\/cqkd\/cluster.key: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("loadKeyringFile() says when the file does not exist", async () => {
  await assert.rejects(loadKeyringFile("/nonexistent/cluster.key"), {
    name: "KeyringFileError",
    message: "Cannot load the cluster keyring from /nonexistent/cluster.key: the file does not exist",
  });
});

Deno.test("parseKeyringEnv() reads comma-separated base64 keys, the primary first", () => {
  const keyring = ClusterKeyring.generate().withNewPrimary();
  const parsed = parseKeyringEnv(formatKeyringEnv(keyring));
  assert.deepEqual(parsed.keys.map((k) => k.id), keyring.keys.map((k) => k.id));
  assert.throws(() => parseKeyringEnv(" , "), /CQKD_CLUSTER_KEY: it holds no key/);
  assert.throws(() => parseKeyringEnv("abc"), /CQKD_CLUSTER_KEY: key 1 is not 32 bytes in base64/);
});
