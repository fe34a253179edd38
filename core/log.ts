/** A small leveled logger writing one line per event to stderr, so that stdout stays for command output. */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

/** Leveled log lines: `2026-11-29T18:00:00.000Z INFO  worker 5a3f…: joined`. */
export class Logger {
  readonly #min: number;
  readonly #prefix: string;
  readonly #write: (line: string) => void;

  constructor(level: LogLevel = "info", options: { prefix?: string; write?: (line: string) => void } = {}) {
    this.#min = LOG_LEVELS.indexOf(level);
    this.#prefix = options.prefix ? `${options.prefix}: ` : "";
    this.#write = options.write ?? ((line) => console.error(line));
  }

  debug(message: string): void {
    this.#log("debug", message);
  }
  info(message: string): void {
    this.#log("info", message);
  }
  warn(message: string): void {
    this.#log("warn", message);
  }
  error(message: string): void {
    this.#log("error", message);
  }

  #log(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) < this.#min) return;
    this.#write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${this.#prefix}${message}`);
  }
}
