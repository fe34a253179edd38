/** Running the podman CLI: its settings for these machines, and its failures as errors that say what failed. */

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
