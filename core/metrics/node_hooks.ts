import type { RequestSettledEvent } from "../net/mod.ts";
import type { CqkdMetrics } from "./cqkd_metrics.ts";

/** The node options through which {@linkcode metricsHooks} feeds the metrics (a subset of `KademliaNodeOptions`). */
export interface MetricsHooks {
  onRequestSettled: (event: RequestSettledEvent) => void;
  onLookup: (event: { readonly findValue: boolean; readonly hops: number }) => void;
}

/**
 * Node options that record every RPC a node sends (by method and outcome, with its latency) and the hops of every
 * lookup it runs into `metrics`: spread them into the options of each node (or a host's defaults).
 *
 * @example
 * ```ts
 * import { KademliaNode } from "../kademlia/mod.ts";
 * import { CqkdMetrics, metricsHooks } from "./mod.ts";
 * const metrics = new CqkdMetrics();
 * await using a = KademliaNode.start({ ...metricsHooks(metrics) });
 * await using b = KademliaNode.start();
 * await a.ping(b.address);
 * console.assert((await metrics.render()).includes('cqkd_rpc_requests_total{method="ping",outcome="ok"} 1'));
 * ```
 */
export function metricsHooks(metrics: CqkdMetrics): MetricsHooks {
  return {
    onRequestSettled: ({ method, outcome, elapsedMs }) => metrics.rpcCompleted(method, outcome, elapsedMs / 1000),
    onLookup: ({ findValue, hops }) => metrics.lookupFinished(findValue ? "find_value" : "find_node", hops),
  };
}
