import assert from "node:assert/strict";
import { selfCommand } from "./supervisor.ts";

Deno.test("selfCommand() sizes a host's heap for thousands of nodes unless told the host is not compact", () => {
  const flags = (args: string[]) => args.filter((a) => a.startsWith("--v8-flags="));
  assert.deepEqual(flags(selfCommand().args), [
    "--v8-flags=--max-semi-space-size=8,--min-semi-space-size=8,--optimize-for-size",
  ]);
  assert.deepEqual(flags(selfCommand({ compact: false }).args), []);
  assert.ok(selfCommand({ compact: false }).args.some((a) => a.endsWith("main.ts")), "it still runs cqkd");
});
