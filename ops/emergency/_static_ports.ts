import { busyPorts } from "../cluster/preflight.ts";
import { CommandError } from "../exit_codes.ts";

/**
 * Hands out static ports from `first` up (fallback mode's `fallback_static_port`), skipping `reserved` ports and
 * any that something holds on 127.0.0.1 now.
 */
export class StaticPorts {
  #next: number;
  constructor(readonly first: number, readonly reserved: ReadonlySet<number>) {
    this.#next = first;
  }

  /** The next free static port. @throws {CommandError} when none is left below 65536 */
  take(): number {
    while (this.#next <= 65535) {
      const port = this.#next++;
      if (!this.reserved.has(port) && busyPorts([port]).length === 0) return port;
    }
    throw new CommandError(`Cannot give a node a static port: every port from ${this.first} up is taken`);
  }
}
