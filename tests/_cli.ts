/** Runs the `cqkd` CLI as a user does: a real process, `deno run main.ts …`. */

export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** What a finished `cqkd` command left. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cqkd ARGS` to completion. */
export async function cqkd(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}
