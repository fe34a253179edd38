/** The network check that Alice finds every worker of the local cluster by lookup (`startup`, `verify network`). */
import type { RunningCluster } from "./cluster/cluster.ts";
import { CommandError } from "./exit_codes.ts";

/** What {@linkcode verifyLookups} found. */
export interface LookupCheck {
  found: number;
  workers: number;
  /** Of those found, how many only on the second lookup. */
  secondTry: number;
  /** Names of the workers not found. */
  missing: string[];
}

/** Time allowed to Alice's lookups of `count` workers: 2 minutes, and more for a large cluster on a loaded machine. */
export function lookupTimeoutMs(count: number): number {
  return Math.max(120_000, count * 30);
}

/** How long a worker whose lookup missed is given before it is looked up again. */
const SECOND_LOOKUP_DELAY_MS = 2000;

/**
 * Workers whose ids Alice finds by lookup, out of all workers of the cluster. A worker missed is looked up once more
 * after {@linkcode SECOND_LOOKUP_DELAY_MS}, and the count found only then is reported apart. The second lookup stays
 * while a worker frozen just before the check can be missed: its neighbours' health checks dropped it and nothing told
 * them of it again before Alice asked (docs/simulation.md, "Stalled hosts").
 */
export async function verifyLookups(cluster: RunningCluster): Promise<LookupCheck> {
  const { nodes } = await cluster.nodes();
  const workers = nodes.filter((n) => n.role === "worker" && n.state === "ready" && n.id !== undefined);
  const alice = nodes.find((n) => n.role === "alice" && n.state === "ready");
  const client = alice && cluster.client(alice.host);
  if (client === undefined) throw new CommandError("Network check failed: Alice is not running");
  const find = (ids: string[]) =>
    client.call((api, o) => api.find.$post({ json: { from: alice!.name, ids } }, o), lookupTimeoutMs(ids.length));
  const first = await find(workers.map((w) => w.id!));
  let missing = first.missing;
  if (missing.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, SECOND_LOOKUP_DELAY_MS));
    missing = (await find(missing)).missing;
  }
  return {
    found: workers.length - missing.length,
    workers: workers.length,
    secondTry: first.missing.length - missing.length,
    missing: workers.filter((w) => missing.includes(w.id!)).map((w) => w.name),
  };
}
