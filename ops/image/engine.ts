/** Running the podman CLI: its settings for these machines, and its failures as errors that say what failed. */

import { linkedLibraries } from "./ldd.ts";

/** The containers.conf these machines need (cgroupfs, runc, no default ulimits); `CONTAINERS_CONF` overrides it. */
export const CONTAINERS_CONF = new URL("./containers.conf", import.meta.url).pathname;

/** The environment podman runs with: the caller's, with `CONTAINERS_CONF` pointing at ours unless it is set. */
export function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
  const conf = Deno.env.get("CONTAINERS_CONF") ?? CONTAINERS_CONF;
  return { CONTAINERS_CONF: conf, ...extra };
}

/** A podman (or other engine) command that exited with an error: its arguments, exit code and what it printed. */
export class EngineError extends Error {
  constructor(readonly command: string[], readonly code: number, readonly stderr: string) {
    super(`${command.join(" ")} exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
    this.name = "EngineError";
  }
}

/** What a finished command printed. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `program ARGS` to completion with the engine's environment; `check` (default) throws on a non-zero exit. */
export async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; check?: boolean; cwd?: string; signal?: AbortSignal } = {},
): Promise<CommandOutput> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, {
      args,
      env: engineEnv(options.env),
      stdin: "null",
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new EngineError([program, ...args], 127, `${program} is not installed`);
    }
    throw error;
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const result = { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  if ((options.check ?? true) && result.code !== 0) {
    throw new EngineError([program, ...args], result.code, result.stderr);
  }
  return result;
}

/** `podman ARGS`, its standard output; throws {@linkcode EngineError} on failure. */
export async function podman(args: string[], options: { signal?: AbortSignal } = {}): Promise<string> {
  return (await run("podman", args, options)).stdout;
}

/**
 * Why containers cannot run here, or undefined when they can: the tools are installed, and podman starts a container
 * (from a root file system of a shell and the libraries it links, `--rootfs`, so that no image is needed) on a bridge
 * network. `tools` are the other commands the caller needs.
 */
export async function engineProblem(tools: readonly string[] = []): Promise<string | undefined> {
  for (const tool of ["podman", "runc", ...tools]) {
    const found = await run("sh", ["-c", `command -v ${tool}`], { check: false });
    if (found.code !== 0) return `${tool} is not installed`;
  }
  const root = await Deno.makeTempDir({ prefix: "cqkd-preflight-" });
  try {
    const libraries = await linkedLibraries("/bin/dash");
    for (const file of ["/bin/dash", ...libraries]) {
      await Deno.mkdir(`${root}${file.slice(0, file.lastIndexOf("/"))}`, { recursive: true });
      await Deno.copyFile(file, `${root}${file}`);
    }
    const started = await run("podman", ["run", "--rm", "--rootfs", root, "/bin/dash", "-c", "exit 0"], {
      check: false,
    });
    if (started.code !== 0) return `podman cannot start a container: ${lastLines(started.stderr)}`;
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split("\n").filter((line) => !/systemd/.test(line)).slice(-2).join(" / ");
}
