import type { Settings } from "../../core/config/mod.ts";
import { formatPeer, parsePeer, resolvePeer } from "../../core/net/mod.ts";
import { CommandError } from "../exit_codes.ts";
import { onEveryHost, openCluster, updateState } from "./_cluster_ops.ts";
import { byTier } from "./_tiers.ts";

/** How one tier went through `cqkd emergency fallback`. */
export interface FallbackTier {
  tier: string;
  nodes: number;
  /** Rejoined through the static list. */
  rejoined: number;
  failed: number;
  /** Nodes that are themselves the static list: they have nothing to rejoin through. */
  listed: number;
  /** Mean routing-table size of the rejoined nodes after rejoining. */
  meanContacts: number;
}

/** What `cqkd emergency fallback` did. */
export interface FallbackReport {
  /** The static bootstrap list the nodes rejoined through. */
  peers: string[];
  staticPort: number;
  tiers: FallbackTier[];
  failures: Array<{ node: string; error: string }>;
}

/**
 * `cqkd emergency fallback` (the enable_fallback_mode setting): every running node of the cluster (but the
 * isolated ones) rejoins through the static `fallback_bootstrap_nodes` instead of the bootstrap tiers
 * (`POST /fleet/ops/rejoin` on every host: ping, lookup of its own id, far buckets), and the state file records
 * fallback mode, so that `recover` starts nodes through the static list, and workers on static ports from
 * `fallback_static_port` up.
 * @throws {CommandError} when fallback mode is disabled, the list is empty or does not resolve, or no cluster runs
 */
export async function enterFallbackMode(settings: Settings): Promise<FallbackReport> {
  if (!settings.enable_fallback_mode) {
    throw new CommandError("Cannot switch to fallback mode: enable_fallback_mode is off");
  }
  if (settings.fallback_bootstrap_nodes.length === 0) {
    throw new CommandError("Cannot switch to fallback mode: fallback_bootstrap_nodes is empty");
  }
  const peers = await Promise.all(settings.fallback_bootstrap_nodes.map(async (text) => {
    try {
      return formatPeer(await resolvePeer(parsePeer(text)));
    } catch (error) {
      throw new CommandError(`Cannot switch to fallback mode: ${(error as Error).message}`);
    }
  }));
  const cluster = await openCluster(settings);
  // Isolated nodes stay out: the others would not answer them anyway.
  const isolated = new Set((cluster.state.isolated ?? []).map((i) => i.id));
  const ready = (await cluster.nodes()).nodes.filter((n) => n.state === "ready" && !isolated.has(n.id!));
  const { nodes: outcomes, failures } = await onEveryHost(
    cluster,
    (client) =>
      client.call(
        (api, o) => api.fleet.ops.rejoin.$post({ json: { peers, names: ready.map((n) => n.name) } }, o),
        60_000,
      ),
  );
  const mode = { since: new Date().toISOString(), peers, staticPort: settings.fallback_static_port };
  await updateState(cluster, (state) => ({ ...state, fallback: mode }));
  const tiers = byTier(ready).map(([tier, members]): FallbackTier => {
    const own = outcomes.filter((o) => members.some((m) => m.name === o.name));
    const contacts = own.flatMap((o) => o.ok ? [o.contacts] : []);
    return {
      tier,
      nodes: members.length,
      rejoined: contacts.length,
      failed: own.length - contacts.length,
      listed: members.length - own.length,
      meanContacts: contacts.length === 0 ? 0 : Math.round(contacts.reduce((a, b) => a + b, 0) / contacts.length),
    };
  });
  return {
    peers,
    staticPort: mode.staticPort,
    tiers,
    failures: [
      ...outcomes.flatMap((o) => o.ok ? [] : [{ node: o.name, error: o.error }]),
      ...failures.map((f) => ({ node: `host ${f.host}`, error: f.error })),
    ],
  };
}
