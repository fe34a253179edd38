/**
 * compose/Dockerfile cannot be built here (no Docker engine): these checks read it against what it must agree with.
 */
import assert from "node:assert/strict";
import { Command } from "commander";
import { BINARY, RUN_AS } from "./container.ts";
import { addDeployCommands } from "./deploy_cli.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));

/** The Dockerfile's instructions (continuation lines joined, comments dropped), by stage. */
async function stages(): Promise<string[][]> {
  const lines = (await read("compose/Dockerfile")).replaceAll("\\\n", " ").split("\n")
    .map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  const result: string[][] = [[]];
  for (const line of lines) {
    if (line.startsWith("FROM ")) result.push([]);
    result.at(-1)!.push(line);
  }
  return result;
}

Deno.test("compose/Dockerfile builds with the Deno of .ci/run and `deno task compile`, with the task's assets", async () => {
  const [global, build] = await stages();
  const pinned = (await read(".ci/run")).match(/^DENO_VERSION=(\S+)$/m)?.[1];
  assert.ok(pinned);
  assert.ok(global!.includes(`ARG DENO_VERSION=${pinned}`), "the Dockerfile's Deno is the one CI pins");
  assert.match(build![0]!, /^FROM \S*(node|debian)\S* AS build$/);
  assert.ok(build!.some((line) => line.includes('npm install -g "deno@${DENO_VERSION}"')));
  assert.ok(build!.some((line) => /^RUN deno task compile\b/.test(line)));

  // What the compile task reads is in the build context and copied into the build stage.
  const task = JSON.parse(await read("deno.json")).tasks.compile as string;
  const assets = [...task.matchAll(/--include (\S+)/g)].map((m) => m[1]!);
  assert.ok(assets.length > 0);
  const copied = build!.filter((line) => line.startsWith("COPY ")).flatMap((line) => line.split(/\s+/).slice(1, -1));
  const ignored = (await read(".dockerignore")).split("\n").filter((line) => line && !line.startsWith("#"));
  for (const path of ["deno.json", "deno.lock", "main.ts", ...assets]) {
    assert.ok(copied.some((source) => path === source || path.startsWith(source)), `${path} is copied`);
    assert.ok(!ignored.some((pattern) => path === pattern || path.startsWith(pattern)), `${path} is not ignored`);
    await Deno.stat(new URL(path, ROOT));
  }
});

Deno.test("compose/Dockerfile runs the binary alone, as user 10001, with a health check that probes the node", async () => {
  const runtime = (await stages()).at(-1)!;
  assert.match(runtime[0]!, /^FROM (gcr\.io\/distroless\/\S+|debian:\S+-slim)/);
  assert.ok(runtime.some((line) => line.startsWith("COPY --from=build") && line.endsWith(` ${BINARY}`)));
  assert.ok(runtime.includes(`USER ${RUN_AS}:${RUN_AS}`), "non-root");
  assert.ok(runtime.includes(`ENTRYPOINT ["${BINARY}"]`));
  const healthcheck = runtime.find((line) => line.startsWith("HEALTHCHECK "));
  const command = JSON.parse(healthcheck!.slice(healthcheck!.indexOf("CMD ") + 4));
  assert.deepEqual(command.slice(0, 2), [BINARY, "probe"]);
  // The subcommand the health check calls exists.
  const program = new Command("cqkd");
  addDeployCommands(program);
  assert.ok(program.commands.some((c) => c.name() === command[1]));
});
