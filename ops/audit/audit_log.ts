import { dirname, join } from "node:path";
import type { Settings } from "../../core/config/mod.ts";

/**
 * One line of the audit log: who did what, when, and with what result. Admin API mutations carry `method`, `path`
 * and `status`; CLI procedures carry `procedure`. Arguments never hold secrets (tokens, DHT values, keys).
 */
export interface AuditEntry {
  /** ISO 8601 time the action ended. */
  time: string;
  /** The token's name, `anonymous` (no or an unknown token), or `cli:<user>` for a CLI procedure. */
  who: string;
  /** The client's address, or `local` for a CLI procedure. */
  client: string;
  /** The process that wrote the line. */
  pid: number;
  /** The CLI procedure (`startup`, `config restore`, …). */
  procedure?: string;
  /** The HTTP method of an admin request. */
  method?: string;
  /** The path of an admin request. */
  path?: string;
  /** Key arguments, without secrets. */
  args?: Record<string, unknown>;
  /** The HTTP status answered. */
  status?: number;
  ok: boolean;
  /** Why it failed or was refused. */
  error?: string;
  /** How long it took, in milliseconds. */
  ms: number;
}

/** What {@linkcode AuditLog.read} found. */
export interface AuditReading {
  entries: AuditEntry[];
  /** Lines that are not JSON entries (a torn write, a foreign line). */
  skipped: number;
}

/** Options of {@linkcode AuditLog}. */
export interface AuditLogOptions {
  /** Told when a line cannot be written; the action itself goes on. @default {console.error} */
  onError?: (error: Error) => void;
}

/**
 * The audit log: a JSON-lines file that several processes (the CLI, a node, the host processes of a cluster) append
 * to at once. Each entry is one `write` on a file opened with O_APPEND, so lines never interleave and none is lost
 * to another writer's offset. The file is created with mode 0600.
 *
 * @example
 * ```ts
 * import { AuditLog } from "./audit_log.ts";
 * const path = Deno.makeTempFileSync();
 * const log = new AuditLog(path);
 * log.append({ who: "ops", client: "127.0.0.1", procedure: "demo", ok: true, ms: 1 });
 * console.assert(AuditLog.read(path).entries[0]?.who === "ops");
 * ```
 */
export class AuditLog {
  readonly #onError: (error: Error) => void;
  #dirReady = false;

  constructor(readonly path: string, options: AuditLogOptions = {}) {
    this.#onError = options.onError ?? ((error) => console.error(`cqkd: ${error.message}`));
  }

  /** Appends one entry (its time and pid filled in); returns whether it was written. Never throws. */
  append(entry: Omit<AuditEntry, "time" | "pid">): boolean {
    const line = JSON.stringify({ time: new Date().toISOString(), pid: Deno.pid, ...entry }) + "\n";
    const bytes = new TextEncoder().encode(line);
    try {
      if (!this.#dirReady) Deno.mkdirSync(dirname(this.path), { recursive: true });
      this.#dirReady = true;
      using file = Deno.openSync(this.path, { append: true, create: true, mode: 0o600 });
      let written = file.writeSync(bytes);
      // A regular file takes the whole line in one write; a short write (disk full) is finished, not dropped.
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      return true;
    } catch (error) {
      this.#onError(
        new Error(`Cannot write the audit log ${this.path}: ${(error as Error).message}`, { cause: error }),
      );
      return false;
    }
  }

  /**
   * Reads a log, the last `tail` entries when given. A missing file reads as empty.
   * @throws {Deno.errors.PermissionDenied} and other file-system errors but NotFound
   */
  static read(path: string, options: { tail?: number } = {}): AuditReading {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { entries: [], skipped: 0 };
      throw error;
    }
    const entries: AuditEntry[] = [];
    let skipped = 0;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        const entry = JSON.parse(line);
        if (typeof entry?.time !== "string" || typeof entry?.ok !== "boolean") throw new TypeError("not an entry");
        entries.push(entry);
      } catch {
        skipped++;
      }
    }
    return { entries: options.tail === undefined ? entries : entries.slice(-options.tail), skipped };
  }
}

/** The audit log file of a process: `audit_log_file`, by default `audit.jsonl` in `state_dir`. */
export function auditLogPath(settings: Settings): string {
  return settings.audit_log_file || join(settings.state_dir, "audit.jsonl");
}
