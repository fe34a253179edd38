import assert from "node:assert/strict";
import { ConfigError, loadSettings } from "../../core/config/mod.ts";
import { AccessTokens, parseTokensFile, tokenSha256 } from "./access_tokens.ts";

Deno.test("AccessTokens.identify() finds a token given in clear or by its SHA-256, and nothing else", () => {
  const tokens = new AccessTokens([
    { name: "ops", scope: "write", token: "operator-token-0001" },
    { name: "grafana", scope: "read", sha256: tokenSha256("reader-token-00001") },
  ]);
  assert.deepEqual(tokens.identify("operator-token-0001"), { name: "ops", scope: "write" });
  assert.deepEqual(tokens.identify("reader-token-00001"), { name: "grafana", scope: "read" });
  assert.equal(tokens.identify("operator-token-000"), undefined);
  assert.equal(tokens.identify(""), undefined);
  assert.ok(tokens.readProtected && tokens.writable);
  assert.ok(!new AccessTokens([]).writable);
});

Deno.test("AccessTokens refuses a name or a token given twice", () => {
  assert.throws(
    () =>
      new AccessTokens([{ name: "a", scope: "read", token: "x".repeat(16) }, {
        name: "a",
        scope: "write",
        token: "y".repeat(16),
      }]),
    { name: "RangeError", message: "Cannot use the admin tokens: a name appears twice" },
  );
  assert.throws(
    () =>
      new AccessTokens([{ name: "a", scope: "read", token: "x".repeat(16) }, {
        name: "b",
        scope: "write",
        token: "x".repeat(16),
      }]),
    { name: "RangeError", message: "Cannot use the admin tokens: the same token is given twice" },
  );
});

Deno.test("parseTokensFile() reads a YAML list and names the first bad entry", () => {
  const text = `- {name: ops, scope: write, token: operator-token-0001}\n- name: grafana\n  scope: read\n  sha256: ${
    "AB".repeat(32)
  }\n`;
  assert.deepEqual(parseTokensFile(text, "t.yaml"), [
    { name: "ops", scope: "write", token: "operator-token-0001" },
    { name: "grafana", scope: "read", sha256: "ab".repeat(32) },
  ]);
  const bad = (yaml: string, message: RegExp) =>
    assert.throws(() => parseTokensFile(yaml, "t.yaml"), (e) => e instanceof ConfigError && message.test(e.message));
  bad(
    "- {name: ops, scope: admin, token: operator-token-0001}",
    /^Invalid admin tokens file t\.yaml: entry 0\.scope: /,
  );
  bad("- {name: ops, scope: read, token: short}", /entry 0\.token: /);
  bad("- {name: ops, scope: read}", /entry 0: give either token or sha256$/);
  bad("name: ops", /top level: /);
  bad("- [", /^Invalid YAML in admin tokens file t\.yaml/);
});

Deno.test("AccessTokens.fromSettings() joins admin_token, the tokens file and extra tokens", async () => {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, "- {name: grafana, scope: read, token: reader-token-00001}\n");
    const settings = await loadSettings({
      env: {},
      flags: { admin_token: "legacy-token-00001", admin_tokens_file: path },
    });
    const tokens = await AccessTokens.fromSettings(settings, [{
      name: "cluster",
      scope: "write",
      token: "cluster-token-0001",
    }]);
    assert.equal(tokens.identify("legacy-token-00001")?.name, "admin_token");
    assert.equal(tokens.identify("reader-token-00001")?.scope, "read");
    assert.equal(tokens.identify("cluster-token-0001")?.name, "cluster");
    const missing = await loadSettings({ env: {}, flags: { admin_tokens_file: `${path}.gone` } });
    await assert.rejects(
      AccessTokens.fromSettings(missing),
      (e) => e instanceof ConfigError && e.field === "admin_tokens_file" && /no such file$/.test(e.message),
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("AccessTokens refuses a token shorter than 16 characters, from admin_token too", async () => {
  assert.throws(() => new AccessTokens([{ name: "ops", scope: "write", token: "fifteen-chars15" }]), {
    name: "RangeError",
    message: "Cannot use admin token ops: it has 15 characters, at least 16 are needed",
  });
  const settings = await loadSettings({ env: {}, flags: { admin_token: "short" } });
  await assert.rejects(AccessTokens.fromSettings(settings), {
    name: "ConfigError",
    message: "Invalid admin_token: it has 5 characters, at least 16 are needed",
  });
});
