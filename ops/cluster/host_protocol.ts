/**
 * The contract between `cqkd startup`'s supervisor and the `cqkd host` processes it spawns: how the control token
 * is handed over and what a host writes once it listens. It sits apart from both sides so that the supervisor does
 * not import the host process (which imports the status code, which imports the supervisor's client).
 *
 * @module
 */

/** Environment variable through which a host process receives the cluster's control token (not argv: ps shows it). */
export const TOKEN_ENV = "CQKD_CONTROL_TOKEN";

/** What a host process writes to its ready file once its control API listens. */
export interface HostReady {
  name: string;
  pid: number;
  controlPort: number;
}
