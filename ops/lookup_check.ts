/** The network check that Alice finds every worker of the local cluster by lookup (`startup`, `verify network`). */
import type { RunningCluster } from "./cluster/cluster.ts";
import { CommandError } from "./exit_codes.ts";

/** What {@linkcode verifyLookups} found. */
export interface LookupCheck {
  found: number;
  workers: number;
  /** Names of the workers not found. */
  missing: string[];
}

/** Time allowed to Alice's lookups of `count` workers: 2 minutes, and more for a large cluster on a loaded machine. */
export function lookupTimeoutMs(count: number): number {
  return Math.max(120_000, count * 30);
}

/**
 * Workers whose ids Alice finds by lookup, out of all workers of the cluster: one lookup each. (A second lookup of
 * the missed ones 2 s later used to paper over two lookup defects that the simulator found and that are fixed:
 * docs/simulation.md, "Found and fixed".)
 */
export async function verifyLookups(cluster: RunningCluster): Promise<LookupCheck> {
  const { nodes } = await cluster.nodes();
  const workers = nodes.filter((n) => n.role === "worker" && n.state === "ready" && n.id !== undefined);
  const alice = nodes.find((n) => n.role === "alice" && n.state === "ready");
  const client = alice && cluster.client(alice.host);
  if (client === undefined) throw new CommandError("Network check failed: Alice is not running");
  const ids = workers.map((w) => w.id!);
  const { missing } = await client.call(
    (api, o) => api.find.$post({ json: { from: alice!.name, ids } }, o),
    lookupTimeoutMs(ids.length),
  );
  return {
    found: workers.length - missing.length,
    workers: workers.length,
    missing: workers.filter((w) => missing.includes(w.id!)).map((w) => w.name),
  };
}
