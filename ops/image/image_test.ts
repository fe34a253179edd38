import assert from "node:assert/strict";
import { containerfile } from "./build.ts";
import { checkDue, checkInterval, listedHealth } from "./healthchecks.ts";
import { parseLdd } from "./ldd.ts";
import { entrypointScript, runFlags } from "./rootfs.ts";

Deno.test("parseLdd() lists the libraries a binary links, and refuses a listing with one missing", () => {
  const listing = `	linux-vdso.so.1 (0x00007ffd5a1f0000)
	libdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007fb593e15000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fb58dd3e000)
	/lib64/ld-linux-x86-64.so.2 (0x00007fb593e2d000)
`;
  assert.deepEqual(parseLdd(listing), [
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
  assert.throws(() => parseLdd("\tlibfoo.so.1 => not found\n"), /A library is missing: libfoo.so.1 => not found/);
});

Deno.test("runFlags() keeps the compile task's run-time flags and drops what only concerns the output", () => {
  const task = "deno compile --v8-flags=--max-semi-space-size=8 --unstable-net --allow-all --include a.yml " +
    "--include b.yml --output cqkd main.ts";
  assert.deepEqual(runFlags(task), ["--v8-flags=--max-semi-space-size=8", "--unstable-net", "--allow-all"]);
  assert.throws(() => runFlags("deno run main.ts"), /Expected the compile task to be "deno compile … main.ts"/);
  const config = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  const script = entrypointScript(runFlags(config.tasks.compile));
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(
    script,
    /exec \/usr\/local\/bin\/deno run --cached-only --frozen --config \/opt\/cqkd\/deno.json .*--allow-all .*\/opt\/cqkd\/main.ts "\$@"\n$/,
  );
});

Deno.test("containerfile() builds from scratch with the production image's user, health check and entrypoint", () => {
  const text = containerfile();
  assert.match(text, /^FROM scratch\n/);
  assert.match(text, /^USER 10001:10001$/m);
  assert.match(text, /^COPY --chown=10001:10001 state\/ \/var\/lib\/cqkd\/$/m);
  assert.match(text, /^HEALTHCHECK .* CMD \["\/usr\/local\/bin\/cqkd","probe","--admin"\]$/m);
  assert.match(text, /^ENTRYPOINT \["\/usr\/local\/bin\/cqkd"\]$/m);
});

Deno.test("health checks: due on the container's interval, every start interval while it starts", () => {
  const healthy = { id: "a", name: "a", status: "healthy", intervalMs: 10_000 };
  const starting = { ...healthy, status: "starting" };
  assert.equal(checkDue(healthy, undefined, 0, 2000), true, "never checked");
  assert.equal(checkDue(healthy, 0, 9_999, 2000), false);
  assert.equal(checkDue(healthy, 0, 10_000, 2000), true);
  assert.equal(checkDue(starting, 0, 1_999, 2000), false);
  assert.equal(checkDue(starting, 0, 2_000, 2000), true);
  assert.equal(checkDue({ ...starting, intervalMs: 1000 }, 0, 1000, 2000), true, "a shorter interval wins");

  assert.equal(listedHealth("Up 5 seconds ago (starting)"), "starting");
  assert.equal(listedHealth("Up 2 minutes ago (unhealthy)"), "unhealthy");
  assert.equal(listedHealth("Up 2 minutes ago"), undefined);
  assert.equal(checkInterval({ Config: { Healthcheck: { Test: ["CMD", "x"], Interval: 10e9 } } }), 10_000);
  assert.equal(checkInterval({ Config: { Healthcheck: { Test: ["NONE"] } } }), 0);
  assert.equal(checkInterval({ Config: {} }), 0);
});
