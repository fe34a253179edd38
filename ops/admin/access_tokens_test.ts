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
    () => new AccessTokens([{ name: "a", scope: "read", token: "x" }, { name: "a", scope: "write", token: "y" }]),
    { name: "RangeError", message: "Cannot use the admin tokens: a name appears twice" },
  );
  assert.throws(
    () => new AccessTokens([{ name: "a", scope: "read", token: "x" }, { name: "b", scope: "write", token: "x" }]),
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
    const settings = await loadSettings({ env: {}, flags: { admin_token: "legacy", admin_tokens_file: path } });
    const tokens = await AccessTokens.fromSettings(settings, [{ name: "cluster", scope: "write", token: "c" }]);
    assert.equal(tokens.identify("legacy")?.name, "admin_token");
    assert.equal(tokens.identify("reader-token-00001")?.scope, "read");
    assert.equal(tokens.identify("c")?.name, "cluster");
    const missing = await loadSettings({ env: {}, flags: { admin_tokens_file: `${path}.gone` } });
    await assert.rejects(
      AccessTokens.fromSettings(missing),
      (e) => e instanceof ConfigError && e.field === "admin_tokens_file" && /no such file$/.test(e.message),
    );
  } finally {
    await Deno.remove(path);
  }
});
