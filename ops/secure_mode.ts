import type { Settings } from "../core/config/mod.ts";
import { IdentityFileError, SigningIdentity } from "../core/crypto/mod.ts";
import type { KademliaNodeOptions } from "../core/kademlia/mod.ts";
import {
  CLUSTER_KEY_ENV,
  type ClusterKeyring,
  KeyringFileError,
  loadKeyringFile,
  parseKeyringEnv,
} from "../core/security/mod.ts";
import { parsePeer, type Peer, ResolveError, resolvePeer } from "../core/net/mod.ts";
import { CommandError } from "./exit_codes.ts";

/** Options of {@linkcode secureNodeOptions}. */
export interface SecureNodeOptions {
  /**
   * Name of the identity file kept in `<state_dir>/identity/<name>.key`, so that the node keeps its id across
   * restarts. @default a fresh identity that is not stored (a short-lived client)
   */
  identityName?: string;
  /** The value of `CQKD_CLUSTER_KEY`. @default read from the environment */
  envKeys?: string | undefined;
}

/**
 * The cluster keyring the settings name: the `cluster_key_file`, else the keys in `CQKD_CLUSTER_KEY`; undefined
 * when neither is set (plain mode).
 * @throws {CommandError} naming the file or variable and what is wrong with it
 */
export async function loadClusterKeyring(
  settings: Settings,
  envKeys: string | undefined = Deno.env.get(CLUSTER_KEY_ENV),
): Promise<ClusterKeyring | undefined> {
  try {
    if (settings.cluster_key_file !== "") return await loadKeyringFile(settings.cluster_key_file);
    return envKeys ? parseKeyringEnv(envKeys) : undefined;
  } catch (error) {
    if (error instanceof KeyringFileError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

/**
 * The node options of secure mode (cluster keys, replay protection, legacy compatibility, the identity that fixes
 * the node id), or none when no cluster key is configured.
 * @throws {CommandError} for an unreadable keyring or identity file
 */
export async function secureNodeOptions(
  settings: Settings,
  options: SecureNodeOptions = {},
): Promise<Pick<KademliaNodeOptions, "secure" | "identity">> {
  const keyring = await loadClusterKeyring(settings, options.envKeys);
  if (keyring === undefined) return {};
  const secure = {
    keyring,
    replayWindowS: settings.replay_window,
    replayCacheSize: settings.replay_cache_size,
    acceptLegacy: settings.legacy_compatibility_mode,
    legacyPeers: await resolveLegacyPeers(settings),
    ...(settings.advertise_host === "" ? {} : { advertisedHost: settings.advertise_host }),
  };
  if (options.identityName === undefined) return { secure };
  const dir = `${settings.state_dir}/identity`;
  const path = `${dir}/${options.identityName.replace(/[^A-Za-z0-9._-]/g, "_")}.key`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return { secure, identity: await SigningIdentity.loadOrCreate(path) };
  } catch (error) {
    if (error instanceof IdentityFileError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

/** The configured legacy peers as the addresses their datagrams come from (host names resolved). */
async function resolveLegacyPeers(settings: Settings): Promise<Peer[]> {
  if (!settings.legacy_compatibility_mode) return [];
  try {
    return await Promise.all(settings.legacy_peers.map((entry) => resolvePeer(parsePeer(entry))));
  } catch (error) {
    if (error instanceof ResolveError) {
      throw new CommandError(`legacy_peers: ${error.message}`, undefined, { cause: error });
    }
    throw error;
  }
}
