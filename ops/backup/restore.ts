import { createPrivateKey } from "node:crypto";
import { basename, dirname, resolve, sep } from "node:path";
import { ConfigError, loadSettings } from "../../core/config/mod.ts";
import { parseTokensFile } from "../admin/mod.ts";
import { BackupError, type BundledFile, bytesOf, compactUtc, decodeBundle } from "./config_bundle.ts";

/** Options of {@linkcode restoreConfig}. */
export interface RestoreOptions {
  /** The key the backup's checksum was made with. */
  key: string;
  /**
   * The only directories files may be restored into (the state directory and the config file's): a bundle naming
   * any other path is refused whole.
   */
  directories: readonly string[];
  /** Replace files that differ from the backup (each kept as `<file>.pre-restore-<time>` first). @default {false} */
  force?: boolean;
}

/** What happened to one file of the backup. */
export interface RestoredFile {
  role: string;
  path: string;
  action: "written" | "replaced" | "unchanged";
  /** Where the replaced file was kept. */
  keptAs?: string;
}

/**
 * `cqkd config restore`: checks the whole backup first — its keyed checksum, every path inside the allowed
 * directories, the config file against the settings schema, the admin tokens file, the private keys — and the files
 * on disk (one that differs is refused without
 * `force`); only then writes, each file atomically with its recorded mode, keeping a copy of every file it replaces.
 * @throws {BackupError} (nothing written) when the backup is damaged or invalid, or files differ without `force`
 */
export async function restoreConfig(backupPath: string, options: RestoreOptions): Promise<RestoredFile[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(backupPath);
  } catch (error) {
    throw new BackupError(`Cannot read the backup ${backupPath}: ${(error as Error).message}`, backupPath);
  }
  const bundle = decodeBundle(text, backupPath, options.key);
  const directories = await Promise.all(options.directories.map((d) => realDirectory(resolve(d))));
  const paths = new Set<string>();
  for (const file of bundle.files) {
    if (paths.has(file.path)) {
      throw new BackupError(`Cannot restore ${backupPath}: ${file.path} appears twice`, file.path);
    }
    paths.add(file.path);
    if (!await isInside(file.path, directories)) {
      throw new BackupError(
        `Cannot restore ${backupPath}: ${file.path} is outside the state and config directories ` +
          `(${options.directories.join(", ") || "none"})`,
        file.path,
      );
    }
    await validate(file);
  }
  const plan = await Promise.all(bundle.files.map(async (file) => ({ file, state: await stateOnDisk(file) })));
  const differing = plan.filter((p) => p.state === "differs").map((p) => p.file.path);
  if (differing.length > 0 && !options.force) {
    throw new BackupError(
      `Cannot restore ${backupPath}: ${differing.length} file(s) differ from the backup (${differing.join(", ")}); ` +
        "add --force to replace them (a copy of each is kept)",
      backupPath,
    );
  }
  const stamp = compactUtc(new Date());
  const restored: RestoredFile[] = [];
  for (const { file, state } of plan) {
    const base = { role: file.role, path: file.path };
    if (state === "same") {
      restored.push({ ...base, action: "unchanged" });
      continue;
    }
    let keptAs: string | undefined;
    if (state === "differs") {
      keptAs = `${file.path}.pre-restore-${stamp}`;
      await Deno.copyFile(file.path, keptAs);
    }
    await writeAtomic(file);
    restored.push({ ...base, action: keptAs === undefined ? "written" : "replaced", ...(keptAs ? { keptAs } : {}) });
  }
  return restored;
}

/** Checks what a file holds, by its role: a config file loads against the settings schema, and so on. */
async function validate(file: BundledFile): Promise<void> {
  const text = new TextDecoder().decode(bytesOf(file));
  const refuse = (reason: string, cause?: unknown) =>
    new BackupError(`Cannot restore ${file.path} (${file.role}): ${reason}`, file.path, { cause });
  try {
    if (file.role === "config") await checkSettings(text, file.path);
    else if (file.role === "admin_tokens_file") parseTokensFile(text, file.path);
    else if (text.includes("PRIVATE KEY-----")) createPrivateKey(text);
  } catch (error) {
    throw refuse((error as Error).message, error);
  }
}

/** Loads a config file's text as the settings would be (no environment, no flags), in a scratch file. */
async function checkSettings(text: string, path: string): Promise<void> {
  const scratch = await Deno.makeTempFile({ prefix: "cqkd-restore-", suffix: ".yaml" });
  try {
    await Deno.writeTextFile(scratch, text);
    await loadSettings({ configPath: scratch, env: {} });
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(error.message.replaceAll(scratch, path), { cause: error });
    throw error;
  } finally {
    await Deno.remove(scratch);
  }
}

/** A directory with its symbolic links resolved as far as it exists. */
async function realDirectory(path: string): Promise<string> {
  let existing = path;
  let rest = "";
  for (;;) {
    try {
      return (await Deno.realPath(existing)) + rest;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || dirname(existing) === existing) throw error;
      rest = sep + basename(existing) + rest;
      existing = dirname(existing);
    }
  }
}

/** Whether `path` (normalised, symbolic links of its existing part resolved) lies inside one of `directories`. */
async function isInside(path: string, directories: readonly string[]): Promise<boolean> {
  if (resolve(path) !== path) return false;
  const real = await realDirectory(path);
  return directories.some((dir) => real.startsWith(dir.endsWith(sep) ? dir : dir + sep));
}

async function stateOnDisk(file: BundledFile): Promise<"missing" | "same" | "differs"> {
  try {
    const current = await Deno.readFile(file.path);
    const wanted = bytesOf(file);
    return current.length === wanted.length && current.every((b, i) => b === wanted[i]) ? "same" : "differs";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "missing";
    throw error;
  }
}

async function writeAtomic(file: BundledFile): Promise<void> {
  await Deno.mkdir(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.restore-${Deno.pid}.tmp`;
  await Deno.writeFile(temporary, bytesOf(file), { mode: file.mode });
  await Deno.chmod(temporary, file.mode); // the umask may have narrowed it
  await Deno.rename(temporary, file.path);
}
