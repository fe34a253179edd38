import { selfCommand } from "../ops/cluster/supervisor.ts";

/**
 * Runs `cqkd ARGS` against the cluster of `stateDir` as a separate process and returns its stdout.
 * @throws {Error} with its stderr when it fails, unless `allowFailure` (a failed key exchange still prints a report)
 */
export async function cqkd(
  stateDir: string,
  args: string[],
  options: { allowFailure?: boolean } = {},
): Promise<string> {
  const self = selfCommand();
  const output = await new Deno.Command(self.command, {
    args: [...self.args, "--set", `state_dir=${stateDir}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success && !options.allowFailure) {
    throw new Error(`cqkd ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  return new TextDecoder().decode(output.stdout);
}
