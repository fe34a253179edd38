import type { Settings } from "../core/config/mod.ts";
import { formatPeer, parsePeer, type Peer, resolvePeer } from "../core/net/mod.ts";

/**
 * The addresses a node bootstraps from: `bootstrap_nodes` when given, else the super bootstrap nodes and then
 * the fallback list. Its own address is left out, so that a super bootstrap listed there does not join itself.
 */
export async function bootstrapSeeds(settings: Settings, self?: Peer): Promise<Peer[]> {
  const listed = settings.bootstrap_nodes.length > 0
    ? settings.bootstrap_nodes
    : [...settings.super_bootstrap_nodes, ...settings.fallback_bootstrap_nodes];
  const peers = await Promise.all(listed.map((text) => resolvePeer(parsePeer(text))));
  const unique = new Map(peers.map((peer) => [formatPeer(peer), peer]));
  if (self !== undefined) unique.delete(formatPeer(self));
  return [...unique.values()];
}
