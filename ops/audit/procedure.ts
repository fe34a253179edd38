import { userInfo } from "node:os";
import type { Settings } from "../../core/config/mod.ts";
import { AuditLog, auditLogPath } from "./audit_log.ts";

/** Options of {@linkcode audited}. */
export interface AuditedOptions<T> {
  /** Why a procedure that returned is still a failure (a check failed, a key exchange aborted); `undefined` = ok. */
  failure?: (result: T) => string | undefined;
}

/**
 * Runs a CLI ops procedure and appends its line to the audit log when it ends (returned, failed or threw): who ran
 * it (`cli:<user>`), its key arguments, the result and how long it took. Errors are rethrown unchanged.
 *
 * @example
 * ```ts
 * import { loadSettings } from "../../core/config/mod.ts";
 * import { audited, AuditLog } from "./mod.ts";
 * const path = Deno.makeTempFileSync();
 * const settings = await loadSettings({ env: {}, flags: { audit_log_file: path } });
 * await audited(settings, "demo", { n: 1 }, () => Promise.resolve(42));
 * console.assert(AuditLog.read(path).entries[0]?.procedure === "demo");
 * ```
 */
export async function audited<T>(
  settings: Settings,
  procedure: string,
  args: Record<string, unknown>,
  run: () => Promise<T>,
  options: AuditedOptions<T> = {},
): Promise<T> {
  const log = new AuditLog(auditLogPath(settings));
  const started = performance.now();
  const record = (error: string | undefined) =>
    log.append({
      who: `cli:${currentUser()}`,
      client: "local",
      procedure,
      args: withoutUndefined(args),
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
      ms: Math.round(performance.now() - started),
    });
  let result: T;
  try {
    result = await run();
  } catch (error) {
    record(error instanceof Error ? error.message : String(error));
    throw error;
  }
  record(options.failure?.(result));
  return result;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return Deno.env.get("USER") ?? "unknown";
  }
}

function withoutUndefined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));
}
