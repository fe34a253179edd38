import type { Settings } from "../../core/config/mod.ts";
import { AuditLog, auditLogPath } from "../audit/mod.ts";
import type { RateLimit } from "./access_control.ts";
import { AccessTokens, type TokenEntry } from "./access_tokens.ts";

/** The access-control part of the admin app's options, as a process's settings give it. */
export interface AdminAccess {
  tokens: AccessTokens;
  rateLimit?: RateLimit;
  audit: AuditLog;
}

/**
 * The tokens (`admin_token`, `admin_tokens_file`, then `extraTokens`), the rate limits (`admin_rate_limit`,
 * `admin_rate_burst`; none when the rate is 0) and the audit log (`audit_log_file`) a process's admin API uses.
 * @throws {ConfigError} naming `admin_tokens_file` when the tokens file is unreadable or invalid
 */
export async function adminAccessFrom(
  settings: Settings,
  options: { extraTokens?: readonly TokenEntry[]; onAuditError?: (error: Error) => void } = {},
): Promise<AdminAccess> {
  return {
    tokens: await AccessTokens.fromSettings(settings, options.extraTokens),
    ...(settings.admin_rate_limit > 0
      ? { rateLimit: { ratePerS: settings.admin_rate_limit, burst: settings.admin_rate_burst } }
      : {}),
    audit: new AuditLog(auditLogPath(settings), options.onAuditError ? { onError: options.onAuditError } : {}),
  };
}
