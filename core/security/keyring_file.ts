/**
 * The keyring on disk (YAML, or JSON which is YAML too) and in the `CQKD_CLUSTER_KEY` environment variable.
 *
 * ```yaml
 * primary: 5e1f0a9c
 * keys:
 *   - id: 5e1f0a9c
 *     secret: <32 bytes in base64>
 *     created: 2025-01-01T00:00:00.000Z
 * ```
 */
import { Buffer } from "node:buffer";
import { parse, stringify } from "yaml";
import { type ClusterKey, ClusterKeyring, keyIdOf, KeyringError } from "./keyring.ts";

/** Environment variable holding cluster keys: base64 secrets separated by commas, the primary first. */
export const CLUSTER_KEY_ENV = "CQKD_CLUSTER_KEY";

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** Raised when a keyring file or the environment variable cannot be read as a keyring. */
export class KeyringFileError extends Error {
  override name = "KeyringFileError";
  /** @param source the file path, or the environment variable's name */
  constructor(readonly source: string, detail: string, options?: ErrorOptions) {
    super(`Cannot load the cluster keyring from ${source}: ${detail}`, options);
  }
}

/** Reads a keyring file. @throws {KeyringFileError} naming the file and what is wrong with it */
export async function loadKeyringFile(path: string): Promise<ClusterKeyring> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound ? "the file does not exist" : (error as Error).message;
    throw new KeyringFileError(path, detail, { cause: error });
  }
  return parseKeyring(text, path);
}

/** Parses keyring file text; `source` names it in errors. @throws {KeyringFileError} */
export function parseKeyring(text: string, source: string): ClusterKeyring {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new KeyringFileError(source, `it is not YAML or JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new KeyringFileError(source, 'expected a mapping with a "keys" list');
  }
  const { keys, primary } = doc as { keys: unknown[]; primary?: unknown };
  const parsed = keys.map((entry, i): ClusterKey => {
    const { id, secret, created } = (entry ?? {}) as Record<string, unknown>;
    if (typeof secret !== "string" || !BASE64_KEY.test(secret)) {
      throw new KeyringFileError(source, `keys[${i}].secret must be 32 bytes in base64 (44 characters)`);
    }
    if (typeof id !== "string") {
      throw new KeyringFileError(source, `keys[${i}].id must be a string of 8 hex digits (quote it in YAML)`);
    }
    const bytes = new Uint8Array(Buffer.from(secret, "base64"));
    if (id !== keyIdOf(bytes)) {
      throw new KeyringFileError(source, `keys[${i}].id is ${id}, but its secret's id is ${keyIdOf(bytes)}`);
    }
    return { id, secret: bytes, ...(typeof created === "string" ? { created } : {}) };
  });
  if (primary !== undefined && typeof primary !== "string") {
    throw new KeyringFileError(source, '"primary" must be a key id');
  }
  try {
    return new ClusterKeyring(parsed, primary ?? parsed[0]?.id);
  } catch (error) {
    if (!(error instanceof KeyringError)) throw error;
    throw new KeyringFileError(source, error.message.replace(/^Cannot [^:]*: /, ""), { cause: error });
  }
}

/** The keyring in `CQKD_CLUSTER_KEY` form: base64 secrets, comma separated, primary first. @throws {KeyringFileError} */
export function parseKeyringEnv(value: string): ClusterKeyring {
  const secrets = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (secrets.length === 0) throw new KeyringFileError(CLUSTER_KEY_ENV, "it holds no key");
  const keys = secrets.map((secret, i): ClusterKey => {
    if (!BASE64_KEY.test(secret)) {
      throw new KeyringFileError(CLUSTER_KEY_ENV, `key ${i + 1} is not 32 bytes in base64 (44 characters)`);
    }
    const bytes = new Uint8Array(Buffer.from(secret, "base64"));
    return { id: keyIdOf(bytes), secret: bytes };
  });
  return new ClusterKeyring(keys);
}

/** The keyring as file text (YAML). */
export function formatKeyring(keyring: ClusterKeyring): string {
  const keys = keyring.keys.map((k) => ({
    id: k.id,
    secret: Buffer.from(k.secret).toString("base64"),
    ...(k.created ? { created: k.created } : {}),
  }));
  return "# cqkd cluster keyring: keep it secret. The primary key seals what nodes send; every key opens.\n" +
    stringify({ primary: keyring.primary.id, keys });
}

/** The keyring in `CQKD_CLUSTER_KEY` form. */
export function formatKeyringEnv(keyring: ClusterKeyring): string {
  return keyring.keys.map((k) => Buffer.from(k.secret).toString("base64")).join(",");
}

/** Writes a keyring file readable by its owner only (mode 0600), replacing any previous one. */
export async function saveKeyringFile(path: string, keyring: ClusterKeyring): Promise<void> {
  await Deno.writeTextFile(path, formatKeyring(keyring), { mode: 0o600 });
  // The mode option applies only to a file being created: tighten an existing one as well.
  await Deno.chmod(path, 0o600);
}
