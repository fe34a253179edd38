/**
 * `cqkd secret`: the cluster keyring file. `generate` writes a new one (mode 0600) or adds a key to one; a
 * rotation without downtime is `generate --add-to FILE --staged` (every node learns the new key), `promote`
 * (nodes switch to sealing with it, one by one), then `retire` of the old key.
 */
import { resolve } from "node:path";
import {
  ClusterKeyring,
  formatKeyring,
  formatKeyringEnv,
  KeyringError,
  KeyringFileError,
  loadKeyringFile,
  saveKeyringFile,
} from "../core/security/mod.ts";
import { CommandError } from "./exit_codes.ts";

/** Options of {@linkcode generateSecret}. */
export interface GenerateSecretOptions {
  /** Write a new keyring file here (refused when it exists). @default print it */
  output?: string;
  /** Add a new key to this keyring file instead, as its primary unless `staged`. */
  addTo?: string;
  /** With `addTo`: keep the current primary; the new key only opens datagrams until promoted. @default {false} */
  staged?: boolean;
  /** Print the keys in `CQKD_CLUSTER_KEY` form instead of YAML (without a file). @default {false} */
  env?: boolean;
}

/**
 * Creates a keyring, or adds a key to one; returns what to print.
 * @throws {CommandError} when the file exists already, or cannot be read as a keyring
 */
export async function generateSecret(options: GenerateSecretOptions = {}): Promise<string> {
  if (options.output !== undefined && options.addTo !== undefined) {
    throw new CommandError("Cannot use -o and --add-to together: --add-to rewrites its file");
  }
  if (options.staged && options.addTo === undefined) throw new CommandError("--staged needs --add-to FILE");
  if (options.addTo !== undefined) {
    const before = await load(options.addTo);
    const added = before.withNewPrimary();
    const after = options.staged ? added.withPrimary(before.primary.id) : added;
    await saveKeyringFile(options.addTo, after);
    const role = options.staged ? "staged (it opens datagrams; promote it once every node has it)" : "the primary";
    return `Added key ${added.primary.id} to ${options.addTo} as ${role}; keys: ${ids(after)}`;
  }
  const keyring = ClusterKeyring.generate();
  if (options.output === undefined) return options.env ? formatKeyringEnv(keyring) : formatKeyring(keyring);
  try {
    await Deno.lstat(options.output);
    throw new CommandError(`Cannot write ${options.output}: it exists (add a key to it with --add-to)`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await saveKeyringFile(options.output, keyring);
  return `Wrote a cluster keyring with key ${keyring.primary.id} to ${options.output} (mode 0600)`;
}

/** `cqkd secret promote FILE ID`: the key seals from now on. @throws {CommandError} */
export async function promoteSecret(path: string, id: string): Promise<string> {
  const keyring = await load(path);
  const after = edit(path, () => keyring.withPrimary(id));
  await saveKeyringFile(path, after);
  return `Key ${id} is now the primary of ${path}; keys: ${ids(after)}`;
}

/** `cqkd secret retire FILE ID`: the key opens nothing any more. @throws {CommandError} */
export async function retireSecret(path: string, id: string): Promise<string> {
  const keyring = await load(path);
  if (keyring.find(id) === undefined) throw new CommandError(`Cannot retire key ${id}: it is not in ${path}`);
  const after = edit(path, () => keyring.without(id));
  await saveKeyringFile(path, after);
  return `Retired key ${id} from ${path}; keys: ${ids(after)}`;
}

async function load(path: string): Promise<ClusterKeyring> {
  try {
    return await loadKeyringFile(path);
  } catch (error) {
    if (error instanceof KeyringFileError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

function edit(path: string, change: () => ClusterKeyring): ClusterKeyring {
  try {
    return change();
  } catch (error) {
    if (error instanceof KeyringError) {
      throw new CommandError(`${error.message} (${path})`, undefined, { cause: error });
    }
    throw error;
  }
}

function ids(keyring: ClusterKeyring): string {
  return keyring.keys.map((k) => k === keyring.primary ? `${k.id} (primary)` : k.id).join(", ");
}

/**
 * The keyring of a local cluster started with `cqkd startup --secure`: `<state_dir>/cluster.key` (absolute), made
 * when missing and kept otherwise, so that a restarted cluster keeps its key.
 */
export async function clusterKeyFile(stateDir: string): Promise<string> {
  await Deno.mkdir(stateDir, { recursive: true });
  const path = resolve(stateDir, "cluster.key");
  try {
    await Deno.lstat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await saveKeyringFile(path, ClusterKeyring.generate());
  }
  return path;
}
