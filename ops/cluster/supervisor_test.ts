import assert from "node:assert/strict";
import { HOST_CPU_PROFILE_ENV, selfCommand } from "./supervisor.ts";

Deno.test("selfCommand() sizes a host's heap for thousands of nodes unless told the host is not compact", () => {
  const flags = (args: string[]) => args.filter((a) => a.startsWith("--v8-flags="));
  assert.deepEqual(flags(selfCommand().args), [
    "--v8-flags=--max-semi-space-size=8,--min-semi-space-size=8,--heap-growing-percent=50",
  ]);
  assert.deepEqual(flags(selfCommand({ compact: false }).args), []);
  assert.ok(selfCommand({ compact: false }).args.some((a) => a.endsWith("main.ts")), "it still runs cqkd");
});

Deno.test("selfCommand() has each host write a CPU profile where CQKD_HOST_CPU_PROFILE says", () => {
  const previous = Deno.env.get(HOST_CPU_PROFILE_ENV);
  try {
    Deno.env.delete(HOST_CPU_PROFILE_ENV);
    assert.ok(!selfCommand().args.includes("--cpu-prof"));
    Deno.env.set(HOST_CPU_PROFILE_ENV, "/tmp/profiles");
    const { args } = selfCommand();
    assert.ok(args.includes("--cpu-prof") && args.includes("--cpu-prof-dir=/tmp/profiles"));
    assert.ok(args.indexOf("--cpu-prof") < args.findIndex((a) => a.endsWith("main.ts")), "a runtime flag");
  } finally {
    if (previous === undefined) Deno.env.delete(HOST_CPU_PROFILE_ENV);
    else Deno.env.set(HOST_CPU_PROFILE_ENV, previous);
  }
});
