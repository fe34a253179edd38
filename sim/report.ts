import { TransportStats } from "../core/net/mod.ts";
import type { SimCluster } from "./cluster.ts";
import { emptyOutcome, type ProbeOutcome, quantile, share } from "./probes.ts";
import type { World } from "./world.ts";
import { cpuSeconds, memoryFigures } from "./memory.ts";

/** What a run prints. */
export interface SimReport {
  scenario: string;
  nodes: number;
  seed: number;
  virtual_s: number;
  wall_s: number;
  /** CPU seconds the run took (all threads), a truer cost than wall time on a shared machine. */
  cpu_s: number;
  events: number;
  trace_hash: string;
  get_success: number | null;
  lookup_success: number | null;
  hops_p50: number | null;
  hops_p99: number | null;
  lookup_ms_p50: number | null;
  lookup_ms_p99: number | null;
  values_lost: number;
  rss_mb: number;
  /** The live heap at the end (after a full collection when `heap_collected`), MB. */
  heap_mb: number;
  /** What the run added to the live heap, per simulated node (crashed ones included), KB. */
  kb_per_node: number;
  heap_collected: boolean;
  join_failures: number;
  /** Probe outcomes by name (e.g. "before", "t+30"). */
  probes: Record<string, { get: number | null; lookup: number | null; unreached: number }>;
  network: Record<string, number>;
  /** Requests the nodes sent, timed out, and datagrams they dropped (by reason, nonzero only). */
  transport: Record<string, number>;
  /** The first invariant that broke, if any (the run stopped there). */
  invariant?: string;
}

/** What a scenario found, for {@linkcode reportOf}. */
export interface RunOutcome {
  scenario: string;
  nodes: number;
  seed: number;
  wallStart: number;
  probes: ReadonlyMap<string, ProbeOutcome>;
  /** The probe whose figures are the report's headline. */
  main: string;
  valuesLost: number;
  joinFailures: number;
  broken: string | undefined;
}

/** The report of a finished run; the headline figures are mixed into the trace first. */
export function reportOf(world: World, cluster: SimCluster, run: RunOutcome): SimReport {
  const main = run.probes.get(run.main) ?? emptyOutcome();
  world.scheduler.trace.add(run.valuesLost);
  world.scheduler.trace.add(main.lookupOk);
  world.scheduler.trace.add(main.getOk);
  return {
    scenario: run.scenario,
    nodes: run.nodes,
    seed: run.seed,
    virtual_s: Math.round(world.seconds * 1000) / 1000,
    wall_s: Math.round(performance.now() - run.wallStart) / 1000,
    cpu_s: Math.round((cpuSeconds() - world.cpuAtStart) * 10) / 10,
    events: world.scheduler.events,
    trace_hash: world.scheduler.trace.hex(),
    get_success: share(main.getOk, main.gets),
    lookup_success: share(main.lookupOk, main.lookups),
    hops_p50: quantile(main.hops, 0.5),
    hops_p99: quantile(main.hops, 0.99),
    lookup_ms_p50: round(quantile(main.latencyMs, 0.5)),
    lookup_ms_p99: round(quantile(main.latencyMs, 0.99)),
    values_lost: run.valuesLost,
    rss_mb: Math.round(Deno.memoryUsage().rss / 2 ** 20),
    ...memoryFigures(world.heapAtStart, cluster.nodes.length),
    join_failures: run.joinFailures,
    probes: Object.fromEntries(
      [...run.probes].map(([name, o]) => [name, {
        get: share(o.getOk, o.gets),
        lookup: share(o.lookupOk, o.lookups),
        unreached: o.unreached.length,
      }]),
    ),
    network: { ...world.network.stats },
    transport: transportSummary(cluster),
    ...(run.broken === undefined ? {} : { invariant: run.broken }),
  };
}

function transportSummary(cluster: SimCluster): Record<string, number> {
  const total = new TransportStats();
  for (const n of cluster.nodes) total.add(n.node.transport.stats);
  const dropped = Object.entries(total.dropped).filter(([, count]) => count > 0);
  return {
    requests: total.requestsOut,
    timeouts: total.timeouts,
    late_timers: total.lateTimers,
    ...Object.fromEntries(dropped),
  };
}

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}
