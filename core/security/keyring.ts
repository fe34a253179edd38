/**
 * The cluster keyring: the shared secrets every datagram of a secure cluster is sealed with. One primary key seals
 * what this node sends; every key in the ring opens what it receives, so that a new primary can roll through the
 * cluster without downtime and the old key be retired afterwards.
 */
import { createHash } from "node:crypto";
import { toHex } from "../bytes.ts";
import { runtime } from "../runtime/mod.ts";

/** Length of a cluster key in bytes. */
export const CLUSTER_KEY_BYTES = 32;
/** Length of a key id on the wire (4 bytes, 8 hex digits in files). */
export const KEY_ID_BYTES = 4;

/** One cluster key. */
export interface ClusterKey {
  /** 8 hex digits, derived from the secret: the same key has the same id everywhere. */
  readonly id: string;
  /** The 32 secret bytes. */
  readonly secret: Uint8Array;
  /** When it was generated (ISO 8601), informative only. */
  readonly created?: string;
}

/** Raised for a key of the wrong length or a keyring without keys. */
export class KeyringError extends Error {
  override name = "KeyringError";
}

/**
 * A set of cluster keys, one of them primary.
 *
 * @example Rotation: a new primary, the old key still opens
 * ```ts
 * import { ClusterKeyring } from "./keyring.ts";
 * const old = ClusterKeyring.generate();
 * const rotated = old.withNewPrimary();
 * console.assert(rotated.primary.id !== old.primary.id && rotated.find(old.primary.id) !== undefined);
 * ```
 */
export class ClusterKeyring {
  /** The key that seals outgoing datagrams. */
  readonly primary: ClusterKey;
  /** Every key, the primary first. */
  readonly keys: readonly ClusterKey[];
  /** The primary key's id as it travels (its 4 bytes read big-endian). */
  readonly primaryWireId: number;
  /** Keys by wire id. */
  readonly #byId: Map<number, ClusterKey>;

  /** @throws {KeyringError} when `keys` is empty, a secret is not 32 bytes, or `primaryId` is not among them */
  constructor(keys: readonly ClusterKey[], primaryId: string = keys[0]?.id ?? "") {
    if (keys.length === 0) throw new KeyringError("Cannot build a keyring: it has no keys");
    this.#byId = new Map();
    for (const key of keys) {
      if (key.secret.length !== CLUSTER_KEY_BYTES) {
        throw new KeyringError(`Cannot use key ${key.id}: it is ${key.secret.length} bytes, expected 32`);
      }
      if (key.id !== keyIdOf(key.secret)) {
        throw new KeyringError(`Cannot use key ${key.id}: its id does not match its secret (${keyIdOf(key.secret)})`);
      }
      this.#byId.set(Number.parseInt(key.id, 16), key);
    }
    const primary = keys.find((k) => k.id === primaryId);
    if (primary === undefined) throw new KeyringError(`Cannot use primary key ${primaryId}: it is not in the keyring`);
    this.primary = primary;
    this.primaryWireId = Number.parseInt(primary.id, 16);
    this.keys = [primary, ...keys.filter((k) => k !== primary)];
  }

  /** A keyring holding one fresh random key. */
  static generate(): ClusterKeyring {
    return new ClusterKeyring([newClusterKey()]);
  }

  /** This keyring plus a fresh random key as the new primary; the old keys keep opening datagrams. */
  withNewPrimary(): ClusterKeyring {
    const key = newClusterKey();
    return new ClusterKeyring([key, ...this.keys], key.id);
  }

  /** This keyring with `id` as the primary (it must be in the ring). */
  withPrimary(id: string): ClusterKeyring {
    return new ClusterKeyring(this.keys, id);
  }

  /** This keyring without the key `id` (a retired key). @throws {KeyringError} when it is the primary */
  without(id: string): ClusterKeyring {
    if (id === this.primary.id) throw new KeyringError(`Cannot retire key ${id}: it is the primary key`);
    return new ClusterKeyring(this.keys.filter((k) => k.id !== id), this.primary.id);
  }

  /** The key with this id, if held. */
  find(id: string): ClusterKey | undefined {
    return this.#byId.get(Number.parseInt(id, 16));
  }

  /** The secret of the key whose wire id is `wireId` (its 4 bytes read big-endian). */
  secretOf(wireId: number): Uint8Array | undefined {
    return this.#byId.get(wireId)?.secret;
  }
}

/** The id of a key: the first 4 bytes of SHA-256 over a label and the secret, in hex. */
export function keyIdOf(secret: Uint8Array): string {
  const digest = createHash("sha256").update("cqkd cluster key id").update(secret).digest();
  return toHex(new Uint8Array(digest.subarray(0, KEY_ID_BYTES)));
}

function newClusterKey(): ClusterKey {
  const secret = runtime.randomBytes(new Uint8Array(CLUSTER_KEY_BYTES));
  return { id: keyIdOf(secret), secret, created: new Date().toISOString() };
}
