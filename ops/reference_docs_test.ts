import assert from "node:assert/strict";
import { Command } from "commander";
import { cliReference, configurationReference, referencePages } from "./reference_docs.ts";

Deno.test("docs/cli.md and docs/configuration.md are what the code generates now (run `deno task docs`)", async () => {
  const root = new URL("../", import.meta.url);
  for (const [path, expected] of Object.entries(referencePages())) {
    const committed = await Deno.readTextFile(new URL(path, root));
    assert.ok(committed === expected, `${path} is stale: run \`deno task docs\` and commit the result`);
  }
});

Deno.test("cliReference() lists every visible command with its help, and leaves hidden ones out", () => {
  const program = new Command("tool").description("a tool");
  const group = program.command("group").description("a group");
  group.command("leaf").description("a leaf").option("--flag", "a flag");
  program.command("secret", { hidden: true }).description("internal");
  const page = cliReference(program);
  assert.deepEqual([...page.matchAll(/^## `(.*)`$/gm)].map((match) => match[1]), [
    "tool",
    "tool group",
    "tool group leaf",
  ]);
  assert.match(page, /--flag\s+a flag/);
  assert.doesNotMatch(page, /secret|internal/);
});

Deno.test("configurationReference() has a row per setting with its default and environment variable", () => {
  const page = configurationReference();
  assert.match(page, /^\| `base_port` \| `7000` \| `BASE_PORT` \| integer 1-65535 \| /m);
  assert.match(page, /^\| `super_bootstrap_nodes` \| `\["127.0.0.1:5678","127.0.0.1:5679"\]` \| /m);
});
