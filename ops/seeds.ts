import type { Settings } from "../core/config/mod.ts";
import { formatPeer, parsePeer, type Peer, resolvePeer } from "../core/net/mod.ts";
import { CommandError } from "./exit_codes.ts";

/** The addresses to bootstrap from, and the listed ones whose host name did not resolve. */
export interface Seeds {
  peers: Peer[];
  unresolved: string[];
}

/**
 * The addresses a node bootstraps from: `bootstrap_nodes` when given, else the super bootstrap nodes and then
 * the fallback list. Its own address is left out, so that a super bootstrap listed there does not join itself. A
 * host name that does not resolve is skipped (and reported) as long as another entry remains.
 * @throws {CommandError} when no listed address resolves
 */
export async function bootstrapSeeds(settings: Settings, self?: Peer): Promise<Seeds> {
  const listed = settings.bootstrap_nodes.length > 0
    ? settings.bootstrap_nodes
    : [...settings.super_bootstrap_nodes, ...settings.fallback_bootstrap_nodes];
  const resolved = await Promise.allSettled(listed.map((text) => resolvePeer(parsePeer(text))));
  const unresolved = listed.filter((_, i) => resolved[i]!.status === "rejected");
  const unique = new Map<string, Peer>();
  for (const result of resolved) {
    if (result.status === "fulfilled") unique.set(formatPeer(result.value), result.value);
  }
  if (listed.length > 0 && unique.size === 0) {
    throw new CommandError(`Cannot resolve any bootstrap address: ${unresolved.join(", ")}`);
  }
  if (self !== undefined) unique.delete(formatPeer(self));
  return { peers: [...unique.values()], unresolved };
}
