/** Exit codes shared by every `cqkd` subcommand. */
export const EXIT = {
  ok: 0,
  /** The command ran, and the answer is "no": a key not found, a check that failed. */
  no: 1,
  /** The command could not run: bad usage, bad configuration, network unreachable. */
  error: 2,
} as const;

/** An error that a command reports to the user in one line and exits with `exitCode`. */
export class CommandError extends Error {
  override name = "CommandError";
  constructor(message: string, readonly exitCode: number = EXIT.error, options?: ErrorOptions) {
    super(message, options);
  }
}
