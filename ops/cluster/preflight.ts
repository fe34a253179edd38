import { openFilesLimit } from "../../core/host.ts";
import { CommandError } from "../exit_codes.ts";

/** The ports among `ports` that something already holds on 127.0.0.1 (UDP), found by trying to bind each. */
export function busyPorts(ports: readonly number[]): number[] {
  const busy: number[] = [];
  for (const port of ports) {
    try {
      Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port }).close();
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse) busy.push(port);
      else throw error;
    }
  }
  return busy;
}

/**
 * Checks that a host process may open a socket per node (children inherit this process's limit).
 * @throws {CommandError} naming `ulimit -n` when the soft limit is too low
 */
export function checkOpenFilesLimit(nodesPerProcess: number): void {
  const limit = openFilesLimit();
  const needed = nodesPerProcess + 64;
  // Unknown (not Linux): a host that meets the limit reports it itself.
  if (limit !== undefined && limit < needed) {
    throw new CommandError(
      `Cannot start the cluster: a host process needs about ${needed} open files and ulimit -n is ${limit}; ` +
        `raise it (ulimit -n 65536) or use fewer workers per host (--per-host)`,
    );
  }
}
