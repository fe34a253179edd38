/** Where a setting's value came from, lowest precedence first. */
export type ConfigSource = "default" | "file" | "env" | "flag";

/** Options for {@linkcode ConfigError}. */
export interface ConfigErrorOptions {
  /** Setting name the error is about; empty when it concerns a whole file or argument. */
  field: string;
  /** Layer the offending value came from. */
  source: ConfigSource;
  /** What the field accepts, e.g. `integer 1-65535`. */
  allowed?: string;
  /** Underlying error, e.g. the YAML parser's or the file system's. */
  cause?: unknown;
}

/**
 * Invalid configuration: a bad value, an unknown setting name, or an unreadable config file.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * const error = new ConfigError("Unknown setting bas_port from flag bas_port (did you mean base_port?)", {
 *   field: "bas_port",
 *   source: "flag",
 * });
 * console.assert(error.name === "ConfigError");
 * ```
 */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
  /** Setting name the error is about; empty when it concerns a whole file or argument. */
  readonly field: string;
  /** Layer the offending value came from. */
  readonly source: ConfigSource;
  /** What the field accepts, when the error is about a value. */
  readonly allowed: string | undefined;

  /** Creates an error with a full message and the data describing it. */
  constructor(message: string, options: ConfigErrorOptions) {
    super(message, { cause: options.cause });
    this.field = options.field;
    this.source = options.source;
    this.allowed = options.allowed;
  }
}
