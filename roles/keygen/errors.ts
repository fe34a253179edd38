/** Why a networked key exchange ends without a key, beyond the post-processing aborts of roles/postprocess. */
import { SessionAbortError } from "../postprocess/mod.ts";

/** A batch could not be completed: its workers died or stayed silent, and replacements failed too. */
export class WorkerFailureError extends SessionAbortError {
  override name = "WorkerFailureError";
  constructor(readonly batch: number, readonly attempts: number, readonly deadWorkers: readonly string[]) {
    super(
      `Cannot complete batch ${batch} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ` +
        (deadWorkers.length === 0
          ? "its workers stayed too slow"
          : `worker${deadWorkers.length === 1 ? "" : "s"} ${deadWorkers.join(", ")} stopped answering`),
    );
  }
}

/** Too few live workers for a session. */
export class NoWorkersError extends SessionAbortError {
  override name = "NoWorkersError";
  constructor(readonly required: number, readonly found: number, readonly dead = 0) {
    super(
      `Cannot run the session: it needs ${required} live workers, found ${found}` +
        (dead > 0 ? ` (${dead} of the known workers are in quarantine after missing their probes)` : ""),
    );
  }
}
