import { Buffer } from "node:buffer";
import { join, resolve } from "node:path";
import { type Settings, SETTINGS_SCHEMA } from "../../core/config/mod.ts";
import { BackupError, type BundledFile, compactUtc, type ConfigBundle, encodeBundle } from "./config_bundle.ts";

/** Settings that name a file but are not configuration: the audit log is a record, not something to restore. */
const NOT_CONFIGURATION = new Set(["audit_log_file"]);
/** Key files in `state_dir` (node identities, a cluster keyring), up to two directories deep. */
const KEY_FILE = /(\.pem|\.key|keyring[^/]*)$/;
/** Folders of `state_dir` that hold logs and monitoring data, never keys. */
const SKIPPED_DIRS = new Set(["logs", "monitoring"]);

/** What {@linkcode backupConfig} wrote. */
export interface BackupReport {
  output: string;
  files: { role: string; path: string; bytes: number }[];
  /** Files the settings name that do not exist (not bundled). */
  missing: { role: string; path: string }[];
}

/**
 * `cqkd config backup`: bundles the configuration in force into one file with a checksum — the config file, every
 * file a `*_file` setting names (the admin tokens file, a cluster keyring, …) and the key files in `state_dir`
 * (node identities), with a checksum keyed by `key` (see {@linkcode encodeBundle}). The backup holds secrets: it is
 * written with mode 0600 and never over an existing file.
 * @throws {BackupError} when the output exists or a file cannot be read
 */
export async function backupConfig(
  settings: Settings,
  configPath: string | undefined,
  output: string,
  key: string,
): Promise<BackupReport> {
  const wanted: { role: string; path: string }[] = [];
  if (configPath !== undefined) wanted.push({ role: "config", path: resolve(configPath) });
  for (const field of SETTINGS_SCHEMA) {
    const value = settings[field.name];
    if (!field.name.endsWith("_file") || NOT_CONFIGURATION.has(field.name) || typeof value !== "string") continue;
    if (value !== "") wanted.push({ role: field.name, path: resolve(value) });
  }
  for (const path of await keyFiles(resolve(settings.state_dir), 2)) wanted.push({ role: "state key", path });

  const files: BundledFile[] = [];
  const missing: BackupReport["missing"] = [];
  const seen = new Set<string>();
  for (const { role, path } of wanted) {
    if (seen.has(path)) continue;
    seen.add(path);
    const read = await readFile(path);
    if (read === undefined) missing.push({ role, path });
    else files.push({ role, path, mode: read.mode, base64: Buffer.from(read.bytes).toString("base64") });
  }
  const bundle: ConfigBundle = { format: "cqkd-config-backup", version: 1, createdAt: new Date().toISOString(), files };
  try {
    await Deno.writeTextFile(output, encodeBundle(bundle, key), { createNew: true, mode: 0o600 });
  } catch (error) {
    const reason = error instanceof Deno.errors.AlreadyExists ? "the file exists" : (error as Error).message;
    throw new BackupError(`Cannot write the backup ${output}: ${reason}`, output, { cause: error });
  }
  return {
    output,
    files: files.map(({ role, path, base64 }) => ({ role, path, bytes: Buffer.from(base64, "base64").length })),
    missing,
  };
}

/** The default backup file name: `cqkd-config-<UTC time>.json` in the working directory. */
export function defaultBackupName(now = new Date()): string {
  return `cqkd-config-${compactUtc(now)}.json`;
}

async function readFile(path: string): Promise<{ bytes: Uint8Array; mode: number } | undefined> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return undefined;
    return { bytes: await Deno.readFile(path), mode: (info.mode ?? 0o600) & 0o777 };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new BackupError(`Cannot back up ${path}: ${(error as Error).message}`, path, { cause: error });
  }
}

async function keyFiles(dir: string, depth: number): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isFile && KEY_FILE.test(entry.name)) found.push(path);
      else if (entry.isDirectory && depth > 1 && !SKIPPED_DIRS.has(entry.name)) {
        found.push(...await keyFiles(path, depth - 1));
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}
