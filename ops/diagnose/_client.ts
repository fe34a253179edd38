import pMap from "p-map";
import { nodeOptionsFrom, type Settings } from "../../core/config/mod.ts";
import { KademliaNode, NodeId } from "../../core/kademlia/mod.ts";
import { formatPeer, parsePeer, type Peer, ResolveError, resolvePeer } from "../../core/net/mod.ts";
import { StateDir } from "../cluster/state.ts";
import { CommandError } from "../exit_codes.ts";
import { secureNodeOptions } from "../secure_mode.ts";

/** Most requests a diagnosis has in flight at once. */
export const CONCURRENCY = 16;

/** Name of the diagnosis client's identity, and what its plain-mode node id is the SHA-1 of. */
const CLIENT_NAME = "cqkd-diagnose-client";

/**
 * Starts the short-lived client node a diagnosis asks through (an ephemeral port of `bind_host`). It seals its
 * datagrams with the cluster key of the settings, or else with the key of the local cluster when that runs in
 * secure mode, as `cqkd verify` does.
 *
 * Every node the client asks takes it as a contact (the legacy protocol adds every sender), and keeps it until
 * its health checks find it gone. So the client has the same node id every time — the SHA-1 of its name, or in
 * secure mode an identity kept in the state directory — and a node holds one such contact whatever the number of
 * diagnoses, not one more per run.
 * @throws {CommandError} for an unreadable key file
 */
export async function startClient(settings: Settings): Promise<KademliaNode> {
  const state = await new StateDir(settings.state_dir).read().catch(() => undefined);
  const keyFile = settings.cluster_key_file || state?.clusterKeyFile || "";
  const security = await secureNodeOptions({ ...settings, cluster_key_file: keyFile }, { identityName: CLIENT_NAME });
  const id = security.secure === undefined ? await NodeId.digest(CLIENT_NAME) : undefined;
  return KademliaNode.start({
    ...nodeOptionsFrom(settings),
    ...security,
    ...(id ? { id } : {}),
    port: 0,
    role: "client",
  });
}

/**
 * The node a `--node host:port` option names, resolved.
 * @throws {CommandError} for an address that does not parse or resolve
 */
export async function nodeAddress(text: string): Promise<Peer> {
  try {
    return await resolvePeer(parsePeer(text));
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof ResolveError) {
      throw new CommandError(`Invalid --node: ${error.message}`, undefined, { cause: error });
    }
    throw error;
  }
}

/**
 * Pings each peer once from the client: the round trip in milliseconds, or `undefined` when it did not answer
 * within `timeoutMs`.
 */
export function pingEach(
  client: KademliaNode,
  peers: readonly Peer[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Array<number | undefined>> {
  return pMap(peers, async (peer) => {
    const sent = performance.now();
    try {
      await client.ping(peer, options);
      return performance.now() - sent;
    } catch {
      options.signal?.throwIfAborted();
      return undefined;
    }
  }, { concurrency: CONCURRENCY * 2 });
}

/**
 * Pings a node, to know that it answers and its id, before asking it more.
 * @throws {CommandError} when it does not answer
 */
export async function reach(
  client: KademliaNode,
  peer: Peer,
  signal?: AbortSignal,
): Promise<{ id: string; rttMs: number }> {
  const sent = performance.now();
  try {
    const id = await client.ping(peer, { signal });
    return { id: id.hex, rttMs: performance.now() - sent };
  } catch (error) {
    throw new CommandError(
      `Cannot reach ${formatPeer(peer)}: ${(error as Error).message}`,
      undefined,
      { cause: error },
    );
  }
}

/** Runs `fn` with a client node ({@linkcode startClient}), stopped afterwards whatever happens. */
export async function withClient<T>(settings: Settings, fn: (client: KademliaNode) => Promise<T>): Promise<T> {
  const client = await startClient(settings);
  try {
    return await fn(client);
  } finally {
    await client.stop();
  }
}
