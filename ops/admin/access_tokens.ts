import { Buffer } from "node:buffer";
import { createHash, timingSafeEqual } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, type Settings } from "../../core/config/mod.ts";

/** What a token allows: `read` the admin API, or also `write` (every mutation). */
export type TokenScope = "read" | "write";

/** Who a presented token belongs to, and what it may do. */
export interface TokenGrant {
  /** The token's name, as the audit log records it. */
  readonly name: string;
  readonly scope: TokenScope;
}

/** One configured token: the token itself, or the SHA-256 of it (64 hex digits) so the file holds no secret. */
export interface TokenEntry {
  name: string;
  scope: TokenScope;
  token?: string;
  sha256?: string;
}

/** Shortest token accepted from a tokens file: 16 characters, well out of reach of guessing at 429-limited rates. */
export const MIN_FILE_TOKEN_LENGTH = 16;

const fileEntry = z.object({
  name: z.string().min(1).max(100),
  scope: z.enum(["read", "write"]),
  token: z.string().min(MIN_FILE_TOKEN_LENGTH).optional(),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "expected the SHA-256 of the token (64 hex digits)").optional(),
}).strict().refine((e) => (e.token === undefined) !== (e.sha256 === undefined), "give either token or sha256");
const fileSchema = z.array(fileEntry).max(1000);

/**
 * The tokens the admin API accepts, each with a name and a scope. Tokens are kept as SHA-256 digests and compared
 * in constant time, against every entry (no early exit), so neither timing nor memory tells a token's prefix.
 *
 * @example
 * ```ts
 * import { AccessTokens } from "./access_tokens.ts";
 * const tokens = new AccessTokens([{ name: "ops", scope: "write", token: "a-long-operator-token" }]);
 * console.assert(tokens.identify("a-long-operator-token")?.name === "ops");
 * console.assert(tokens.identify("guess") === undefined);
 * ```
 */
export class AccessTokens {
  readonly #entries: { grant: TokenGrant; digest: Buffer }[];

  /** @throws {RangeError} when a name or a token appears twice, or an entry has neither token nor sha256 */
  constructor(entries: readonly TokenEntry[]) {
    this.#entries = entries.map(({ name, scope, token, sha256 }) => {
      if (token === undefined && sha256 === undefined) {
        throw new RangeError(`Cannot use admin token ${name}: it has neither a token nor a sha256`);
      }
      return { grant: { name, scope }, digest: token === undefined ? Buffer.from(sha256!, "hex") : digestOf(token) };
    });
    const names = new Set(this.#entries.map((e) => e.grant.name));
    if (names.size !== this.#entries.length) throw new RangeError("Cannot use the admin tokens: a name appears twice");
    const digests = new Set(this.#entries.map((e) => e.digest.toString("hex")));
    if (digests.size !== this.#entries.length) {
      throw new RangeError("Cannot use the admin tokens: the same token is given twice");
    }
  }

  /**
   * The tokens a process's settings configure: `admin_token` (a write token named `admin_token`), then the entries
   * of `admin_tokens_file`, then `extra` (a local cluster adds its control token).
   * @throws {ConfigError} naming `admin_tokens_file` when the file cannot be read or is invalid
   */
  static async fromSettings(settings: Settings, extra: readonly TokenEntry[] = []): Promise<AccessTokens> {
    const path = settings.admin_tokens_file;
    const fromFile = path === "" ? [] : parseTokensFile(await readTokensFile(path), path);
    const legacy: TokenEntry[] = settings.admin_token
      ? [{ name: "admin_token", scope: "write", token: settings.admin_token }]
      : [];
    try {
      return new AccessTokens([...legacy, ...fromFile, ...extra]);
    } catch (error) {
      throw new ConfigError(
        `Invalid admin tokens (admin_token, ${path || "no admin_tokens_file"}): ${(error as Error).message}`,
        {
          field: "admin_tokens_file",
          source: "file",
          cause: error,
        },
      );
    }
  }

  /** The grant of a presented token, or `undefined` when no configured token matches. */
  identify(presented: string): TokenGrant | undefined {
    const digest = digestOf(presented);
    let found: TokenGrant | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest)) found = entry.grant;
    }
    return found;
  }

  /** Whether a read-scoped token is configured: then reads need a token too (read vs write scope). */
  get readProtected(): boolean {
    return this.#entries.some((e) => e.grant.scope === "read");
  }

  /** Whether any token may write; without one, every mutation is refused. */
  get writable(): boolean {
    return this.#entries.some((e) => e.grant.scope === "write");
  }
}

/**
 * Parses a tokens file: a YAML list of `{name, scope: read|write, token | sha256}`.
 * @throws {ConfigError} naming `admin_tokens_file` and the first bad entry
 */
export function parseTokensFile(text: string, path: string): TokenEntry[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw tokensFileError(
      `Invalid YAML in admin tokens file ${path}: ${(error as Error).message.split("\n")[0]}`,
      error,
    );
  }
  const result = fileSchema.safeParse(data ?? []);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `entry ${issue.path.map(String).join(".")}` : "top level";
    throw tokensFileError(`Invalid admin tokens file ${path}: ${where}: ${issue?.message ?? "malformed"}`);
  }
  return result.data.map(({ name, scope, token, sha256 }) => ({
    name,
    scope,
    ...(token === undefined ? {} : { token }),
    ...(sha256 === undefined ? {} : { sha256: sha256.toLowerCase() }),
  }));
}

/** The SHA-256 of a token in hex, as a tokens file's `sha256` field takes it. */
export function tokenSha256(token: string): string {
  return digestOf(token).toString("hex");
}

function digestOf(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

async function readTokensFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "no such file" : (error as Error).message;
    throw tokensFileError(`Cannot read admin tokens file ${path}: ${reason}`, error);
  }
}

function tokensFileError(message: string, cause?: unknown): ConfigError {
  return new ConfigError(message, { field: "admin_tokens_file", source: "file", cause });
}
