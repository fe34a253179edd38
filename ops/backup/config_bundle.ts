import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { CommandError } from "../exit_codes.ts";

/** One file of a configuration backup: where it lives, what it is, its mode and its bytes. */
export interface BundledFile {
  /** What the file is: `config`, the setting that names it (`admin_tokens_file`, …), or `state key`. */
  role: string;
  /** Absolute path the file is restored to. */
  path: string;
  /** Permission bits (0600 for secrets). */
  mode: number;
  /** The file's bytes, base64. */
  base64: string;
}

/** A configuration backup: the files that make up the configuration in force. */
export interface ConfigBundle {
  format: "cqkd-config-backup";
  version: 1;
  createdAt: string;
  files: BundledFile[];
}

/** A backup that cannot be read or restored: damaged, invalid, or in conflict with the files on disk. */
export class BackupError extends CommandError {
  override name = "BackupError";
  /** The backup file, or the configuration file the error is about. */
  readonly path: string;
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, undefined, options);
    this.path = path;
  }
}

const bundleSchema = z.object({
  format: z.literal("cqkd-config-backup"),
  version: z.literal(1),
  createdAt: z.string(),
  files: z.array(
    z.object({
      role: z.string().min(1),
      path: z.string().startsWith("/", "expected an absolute path"),
      mode: z.number().int().min(0).max(0o777),
      base64: z.string().base64(),
    }).strict(),
  ).max(10_000),
}).strict();

/** The environment variable holding the key of backup checksums. */
export const BACKUP_KEY_ENV = "CQKD_BACKUP_KEY";
/** Shortest backup key accepted. */
export const MIN_BACKUP_KEY_LENGTH = 16;

/**
 * The backup key from the environment ({@linkcode BACKUP_KEY_ENV}).
 * @throws {BackupError} when it is unset or shorter than {@linkcode MIN_BACKUP_KEY_LENGTH}
 */
export function backupKeyFrom(env: { get(name: string): string | undefined } = Deno.env): string {
  const key = env.get(BACKUP_KEY_ENV) ?? "";
  if (key.length < MIN_BACKUP_KEY_LENGTH) {
    throw new BackupError(
      `Cannot sign or check a configuration backup: set ${BACKUP_KEY_ENV} to a secret of ` +
        `${MIN_BACKUP_KEY_LENGTH}+ characters (the same one for the backup and the restore)`,
      BACKUP_KEY_ENV,
    );
  }
  return key;
}

/**
 * The text of a backup file: the bundle and an HMAC-SHA256 over its canonical JSON under the backup key, so that
 * any damage is caught and nobody without the key can make a bundle a restore accepts.
 */
export function encodeBundle(bundle: ConfigBundle, key: string): string {
  return JSON.stringify({ checksum: checksumOf(bundle, key), bundle }, null, 1) + "\n";
}

/**
 * Reads a backup file's text: JSON, the checksum, then the bundle's shape, in that order.
 * @throws {BackupError} saying which check failed
 */
export function decodeBundle(text: string, path: string, key: string): ConfigBundle {
  let outer: { checksum?: unknown; bundle?: unknown };
  try {
    outer = JSON.parse(text);
  } catch (error) {
    throw new BackupError(`Cannot read the backup ${path}: it is not JSON (${(error as Error).message})`, path);
  }
  if (typeof outer?.checksum !== "string" || typeof outer.bundle !== "object" || outer.bundle === null) {
    throw new BackupError(`Cannot read the backup ${path}: it is not a cqkd configuration backup`, path);
  }
  if (!outer.checksum.startsWith("hmac-sha256:")) {
    throw new BackupError(`Cannot restore ${path}: its checksum has no key (an older backup): make a new one`, path);
  }
  const expected = Buffer.from(checksumOf(outer.bundle, key));
  const given = Buffer.from(outer.checksum);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new BackupError(
      `Cannot restore ${path}: the checksum does not match: the backup is damaged, or was made with another key`,
      path,
    );
  }
  const parsed = bundleSchema.safeParse(outer.bundle);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackupError(
      `Cannot restore ${path}: ${issue?.path.map(String).join(".") || "bundle"}: ${issue?.message ?? "malformed"}`,
      path,
    );
  }
  return parsed.data;
}

/** The bytes of a bundled file. */
export function bytesOf(file: BundledFile): Uint8Array {
  return new Uint8Array(Buffer.from(file.base64, "base64"));
}

/** A time as `20260101T120000Z`, for file names. */
export function compactUtc(time: Date): string {
  return time.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

function checksumOf(bundle: unknown, key: string): string {
  return "hmac-sha256:" + createHmac("sha256", key).update(JSON.stringify(bundle)).digest("hex");
}
