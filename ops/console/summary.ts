/**
 * What one process tells the console of its nodes on every overview refresh, cheap enough to gather from every host
 * process of a 1000-worker cluster each second: node counts by role and state, the Kademlia parameters in force
 * (grouped), the nodes' network-size estimates, each node's contacts by health, and the traffic totals. (A node's
 * full status, `GET /nodes`, costs about 0.4 ms a node: the nodes page reads it, the overview does not.)
 */
import type { AdminNode } from "../admin/node_directory.ts";
import type { ParameterGroup } from "../status.ts";
import type { Snapshot } from "./source.ts";
import { addTotals, emptyTotals, processTraffic, type TrafficTotals } from "./traffic.ts";

/** Node counts by role, then by state (a host process's fleet knows the states; elsewhere every node runs). */
export type RoleStates = Record<string, Record<string, number>>;

/** A node's contacts by health: `[name, healthy, degraded, unhealthy, unchecked]`. */
export type NodeHealthTuple = [string, number, number, number, number];

/** The figures of one process (or of several, merged). */
export interface ProcessSummary {
  roles: RoleStates;
  parameters: ParameterGroup[];
  /** Each running node's estimate of the network size. */
  sizes: number[];
  health: NodeHealthTuple[];
  traffic: TrafficTotals;
}

/** The summary of the running nodes `entries`; `roles` (by state) when the caller knows more than "running". */
export function processSummary(entries: readonly AdminNode[], roles?: RoleStates): ProcessSummary {
  const groups = new Map<string, ParameterGroup>();
  const sizes: number[] = [];
  const health: NodeHealthTuple[] = [];
  const running: RoleStates = {};
  for (const { name, node, services } of entries) {
    const p = {
      alpha: node.alpha,
      k: node.table.k,
      timeoutMs: node.rpcTimeoutMs,
      refreshIntervalS: node.refreshIntervalS,
    };
    const key = `${p.alpha}/${p.k}/${p.timeoutMs}/${p.refreshIntervalS}`;
    const group = groups.get(key) ?? { ...p, nodes: 0 };
    group.nodes++;
    groups.set(key, group);
    if (services !== undefined) sizes.push(services.adaptive.estimator.estimate(node.table));
    const counts = services?.health?.counts();
    health.push([
      name,
      counts?.healthy ?? 0,
      counts?.degraded ?? 0,
      counts?.unhealthy ?? 0,
      counts?.unchecked ?? node.table.size,
    ]);
    const byState = running[node.role] ??= {};
    byState.ready = (byState.ready ?? 0) + 1;
  }
  return { roles: roles ?? running, parameters: [...groups.values()], sizes, health, traffic: processTraffic(entries) };
}

/** Several processes' summaries as one (parameter groups of equal values merged, most used first). */
export function mergeSummaries(summaries: readonly ProcessSummary[]): ProcessSummary {
  const merged: ProcessSummary = { roles: {}, parameters: [], sizes: [], health: [], traffic: emptyTotals() };
  const groups = new Map<string, ParameterGroup>();
  for (const summary of summaries) {
    for (const [role, states] of Object.entries(summary.roles)) {
      const into = merged.roles[role] ??= {};
      for (const [state, n] of Object.entries(states)) into[state] = (into[state] ?? 0) + n;
    }
    for (const p of summary.parameters) {
      const key = `${p.alpha}/${p.k}/${p.timeoutMs}/${p.refreshIntervalS}`;
      const group = groups.get(key) ?? { ...p, nodes: 0 };
      group.nodes += p.nodes;
      groups.set(key, group);
    }
    merged.sizes.push(...summary.sizes);
    merged.health.push(...summary.health);
    addTotals(merged.traffic, summary.traffic);
  }
  merged.parameters = [...groups.values()].sort((a, b) => b.nodes - a.nodes);
  return merged;
}

/** The median of the nodes' estimates, if any. */
export function medianSize(sizes: readonly number[]): number | undefined {
  if (sizes.length === 0) return undefined;
  return [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)];
}

/** Contacts by health status, summed over the nodes. */
export function contactHealth(health: readonly NodeHealthTuple[]): Record<string, number> {
  const total = { healthy: 0, degraded: 0, unhealthy: 0, unchecked: 0 };
  for (const [, healthy, degraded, unhealthy, unchecked] of health) {
    total.healthy += healthy;
    total.degraded += degraded;
    total.unhealthy += unhealthy;
    total.unchecked += unchecked;
  }
  return total;
}

/** The snapshot of `summary`, the figures of the nodes of `view.hosts` (their node and ready counts summed). */
export function snapshotOf(
  view: Pick<Snapshot, "scope" | "title" | "running" | "healthy" | "hosts" | "tiers">,
  summary: ProcessSummary,
): Snapshot {
  const size = medianSize(summary.sizes);
  return {
    ...view,
    parameters: summary.parameters,
    ...(size === undefined ? {} : { estimatedNetworkSize: size }),
    contactHealth: contactHealth(summary.health),
    nodeCount: view.hosts.reduce((sum, h) => sum + h.nodes, 0),
    readyCount: view.hosts.reduce((sum, h) => sum + h.ready, 0),
    health: summary.health,
    traffic: summary.traffic,
  };
}

/** Parameter values as one line: `alpha=3 k=20`. */
export function valuesLine(values: Record<string, number>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join(" ");
}
