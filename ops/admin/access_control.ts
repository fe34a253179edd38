import type { Context, MiddlewareHandler } from "hono";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { AuditLog } from "../audit/mod.ts";
import type { AccessTokens, TokenGrant } from "./access_tokens.ts";
import { TokenBuckets } from "./rate_limit.ts";

/** Per-client rate limits of the admin API: a token bucket per client address and per token. */
export interface RateLimit {
  /** Requests per second a client earns back. */
  ratePerS: number;
  /** Requests a client may send at once. */
  burst: number;
  /** Clock in milliseconds (tests use a fake one). @default {performance.now} */
  nowMs?: () => number;
}

/** Options of {@linkcode accessControl}. */
export interface AccessControlOptions {
  tokens: AccessTokens;
  /** Per-client limits: one bucket per client address and one per token. @default no limit */
  rateLimit?: RateLimit;
  /** Where every mutation (refused ones included) is recorded. @default not recorded */
  audit?: AuditLog;
  /** Counts the requests refused with 429. */
  metrics?: CqkdMetrics;
}

/** Methods that read; every other method is a mutation and needs a write token. */
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Paths open to anyone, whatever the tokens: liveness probes carry no token. */
const OPEN_PATHS = new Set(["/health"]);
/** Reads that need a read or write token even where reads are open: key-exchange session reports. */
const PRIVATE_READS = /^\/sessions\//;
/** Body fields the audit log never records. */
const SECRET_FIELDS = new Set(["value", "token", "secret", "password", "key"]);
/** Longest list an audit line records in full; longer ones are recorded by their length. */
const MAX_LISTED = 16;

/**
 * The one gate in front of the admin API: per-client rate limits (429 with Retry-After), then access by
 * token scope — a mutation (any method but GET/HEAD/OPTIONS) needs a write token (none: 401, a read token: 403);
 * a read needs a read or write token once a read token is configured (except /health), and always for a session
 * report (/sessions/…) — and an audit line for
 * every mutation with who asked, what, and the result. One gate rather than a guard per route, so that no route
 * added later is left open.
 */
export function accessControl(options: AccessControlOptions): MiddlewareHandler {
  const { tokens, audit, metrics } = options;
  const buckets = options.rateLimit && new TokenBuckets(options.rateLimit);
  return async function adminGate(c, next) {
    const address = clientAddress(c);
    const presented = bearerToken(c.req.header("authorization"));
    const grant = presented === undefined ? undefined : tokens.identify(presented);
    if (buckets !== undefined) {
      const limited = overLimit(buckets, address, grant);
      if (limited !== undefined) {
        metrics?.rateLimited(limited.by);
        const retry = String(limited.retryAfterS);
        return c.json({ error: `Too many requests from ${limited.who}: retry in ${retry} s` }, 429, {
          "retry-after": retry,
        });
      }
    }
    if (READ_METHODS.has(c.req.method)) {
      const open = !tokens.readProtected && !PRIVATE_READS.test(c.req.path);
      if (open || OPEN_PATHS.has(c.req.path) || grant !== undefined) return await next();
      return unauthorized(
        c,
        presented === undefined ? "Missing bearer token: reads need a read or write token" : "Unknown bearer token",
      );
    }
    const started = performance.now();
    const refusal = writeRefusal(tokens, presented, grant);
    if (refusal === undefined) await next();
    else c.res = refusal.status === 401 ? unauthorized(c, refusal.message) : c.json({ error: refusal.message }, 403);
    if (audit !== undefined) {
      const args = auditArgs(c);
      audit.append({
        who: grant?.name ?? "anonymous",
        client: address,
        method: c.req.method,
        path: c.req.path,
        ...(args === undefined ? {} : { args }),
        status: c.res.status,
        ok: c.res.ok,
        ...(c.res.ok ? {} : { error: await errorOf(c.res) }),
        ms: Math.round(performance.now() - started),
      });
    }
  };
}

/** The client's IP address as the server saw it (never X-Forwarded-For, which a client chooses). */
function clientAddress(c: Context): string {
  const remote = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return remote?.hostname ?? "in-process";
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

function overLimit(buckets: TokenBuckets, address: string, grant: TokenGrant | undefined) {
  const byAddress = buckets.take(`address ${address}`);
  if (!byAddress.ok) return { by: "address" as const, who: address, retryAfterS: byAddress.retryAfterS };
  if (grant === undefined) return undefined;
  const byToken = buckets.take(`token ${grant.name}`);
  if (!byToken.ok) return { by: "token" as const, who: `token ${grant.name}`, retryAfterS: byToken.retryAfterS };
  return undefined;
}

function writeRefusal(tokens: AccessTokens, presented: string | undefined, grant: TokenGrant | undefined) {
  if (!tokens.writable) return { status: 401, message: "Mutations are disabled: no admin token is configured" };
  if (presented === undefined) return { status: 401, message: "Missing bearer token: mutations need a write token" };
  if (grant === undefined) return { status: 401, message: "Unknown bearer token" };
  if (grant.scope !== "write") {
    return { status: 403, message: `Token ${grant.name} has ${grant.scope} scope: mutations need a write token` };
  }
  return undefined;
}

function unauthorized(c: Context, message: string): Response {
  return c.json({ error: message }, 401, { "www-authenticate": 'Bearer realm="cqkd"' });
}

/** The validated request body, if the request got that far, without secrets and with long lists shortened. */
function auditArgs(c: Context): Record<string, unknown> | undefined {
  const body = (c.req as unknown as { valid(target: string): unknown }).valid("json");
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined;
  return Object.fromEntries(
    Object.entries(body).map(([name, value]) => [
      name,
      SECRET_FIELDS.has(name)
        ? "[redacted]"
        : Array.isArray(value) && value.length > MAX_LISTED
        ? { count: value.length }
        : value,
    ]),
  );
}

async function errorOf(response: Response): Promise<string> {
  const body = await response.clone().json().catch(() => undefined);
  return typeof body?.error === "string" ? body.error : response.statusText || `HTTP ${response.status}`;
}
