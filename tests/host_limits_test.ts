import assert from "node:assert/strict";

const FIXTURE = new URL("./fixtures/many_nodes.ts", import.meta.url).pathname;

Deno.test("NodeHost.start() names the open-files limit when a process runs out of sockets", async () => {
  const { stdout, code } = await new Deno.Command("bash", {
    args: ["-c", `ulimit -n 64 && exec "${Deno.execPath()}" run -A "${FIXTURE}" 200`],
    env: { NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout).trim();
  assert.equal(code, 0);
  assert.match(
    out,
    /^OpenFilesLimitError: Cannot start another node: this process may not open more files \(\d+ nodes running, ulimit -n is 64\); raise the limit/,
  );
});

Deno.test("NodeHost starts 1000 nodes, one socket each, when the limit allows", async () => {
  const { stdout } = await new Deno.Command("bash", {
    args: ["-c", `ulimit -n 2048 && exec "${Deno.execPath()}" run -A "${FIXTURE}" 1000`],
  }).output();
  assert.equal(new TextDecoder().decode(stdout).trim(), "started 1000");
});
