/**
 * The root file system of the local cqkd image, assembled from what this machine has (no registry, no download of
 * Deno's runtime): the `deno` binary and the glibc libraries it links, a shell for the entrypoint script, the
 * project's source and a Deno cache of its npm dependencies, so that a container needs no network.
 */
import { cp, mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { BINARY, RUN_AS, STATE_DIR } from "../deploy/container.ts";
import { run } from "./engine.ts";
import { linkedLibraries } from "./ldd.ts";

/** Where the image keeps the source, and the Deno cache of its dependencies. */
export const APP_DIR = "/opt/cqkd";
export const APP_DENO_DIR = `${APP_DIR}/deno-dir`;
/** The deno binary inside the image. */
export const IMAGE_DENO = "/usr/local/bin/deno";

/** What the program needs at run time, relative to the repository: `deno task compile` bundles the same. */
const APP_FILES = ["deno.json", "deno.lock", "main.ts", "core", "roles", "ops", "compose/monitoring"];

/**
 * The flags `deno run` needs to run main.ts as `deno task compile` builds it: the compile task's own flags, less
 * those that only concern the output (`--output`, `--include`), and the entry point.
 * @throws {Error} when the task is not a `deno compile … main.ts` command
 */
export function runFlags(compileTask: string): string[] {
  const words = compileTask.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile" || words.at(-1) !== "main.ts") {
    throw new Error(`Expected the compile task to be "deno compile … main.ts", not "${compileTask}"`);
  }
  const flags: string[] = [];
  const body = words.slice(2, -1);
  for (let i = 0; i < body.length; i++) {
    const flag = body[i]!;
    if (flag === "--output" || flag === "--include" || flag === "-o") i++;
    else if (!flag.startsWith("--output=") && !flag.startsWith("--include=")) flags.push(flag);
  }
  return flags;
}

/**
 * The entrypoint, `cqkd …` as the compiled binary takes it: deno runs the source from the image's cache only
 * (`--cached-only`: no network), with the lock file as it is (`--frozen`) and the compile task's flags.
 */
export function entrypointScript(flags: readonly string[]): string {
  return [
    "#!/bin/sh",
    "# cqkd: the project's source run by deno from the image's own cache, as `deno task compile` would build it.",
    `export DENO_DIR=${APP_DENO_DIR} DENO_NO_UPDATE_CHECK=1`,
    `exec ${IMAGE_DENO} run --cached-only --frozen --config ${APP_DIR}/deno.json ${flags.join(" ")} ` +
    `${APP_DIR}/main.ts "$@"`,
    "",
  ].join("\n");
}

/** Options of {@linkcode assembleRootfs}. */
export interface RootfsOptions {
  /** The repository to take the source from. */
  source: string;
  /** An empty directory to fill. */
  root: string;
  /** The deno binary (the real one, not the npm wrapper). @default Deno.execPath() */
  deno?: string;
  /** The shell the entrypoint script runs with. @default "/bin/dash" */
  shell?: string;
}

/** Fills `root` with the image's files; returns the libraries it copied. */
export async function assembleRootfs(options: RootfsOptions): Promise<string[]> {
  const { source, root } = options;
  const deno = options.deno ?? Deno.execPath();
  const shell = options.shell ?? "/bin/dash";
  const into = (path: string) => join(root, path);
  for (const dir of ["usr/local/bin", "bin", "etc", APP_DIR, dirname(STATE_DIR)]) {
    await mkdir(into(dir), { recursive: true });
  }
  await mkdir(into("tmp"), { mode: 0o1777 });
  await Deno.chmod(into("tmp"), 0o1777);

  await cp(deno, into(IMAGE_DENO));
  await cp(shell, into("bin/sh"));
  const libraries = [...new Set([...await linkedLibraries(deno), ...await linkedLibraries(shell)])].sort();
  for (const library of libraries) {
    await mkdir(into(dirname(library)), { recursive: true });
    await cp(await Deno.realPath(library), into(library));
  }
  await writeFile(
    into("etc/passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\ncqkd:x:${RUN_AS}:${RUN_AS}::/tmp:/bin/sh\n`,
  );
  await writeFile(into("etc/group"), `root:x:0:\ncqkd:x:${RUN_AS}:\n`);

  for (const path of APP_FILES) {
    await cp(join(source, path), into(join(APP_DIR, path)), {
      recursive: true,
      filter: (from) => !/_test\.ts$/.test(relative(source, from)),
    });
  }
  const config = JSON.parse(await Deno.readTextFile(join(source, "deno.json")));
  await writeFile(into(BINARY), entrypointScript(runFlags(config.tasks.compile)), { mode: 0o755 });
  await Deno.chmod(into(BINARY), 0o755);

  // The dependencies as the lock file pins them, fetched once here into the image's own cache.
  await run(deno, ["install", "--frozen", "--entrypoint", "main.ts"], {
    cwd: into(APP_DIR),
    env: { DENO_DIR: into(APP_DENO_DIR), NO_COLOR: "1" },
  });
  return libraries;
}
