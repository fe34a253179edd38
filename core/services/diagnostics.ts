import { HEALTH_LEVELS, type HealthCounts, type HealthLevel } from "../health/mod.ts";
import type { Contact, KademliaNode } from "../kademlia/mod.ts";
import { formatPeer, type LatencyPercentiles, type RequestCounters } from "../net/mod.ts";
import type { NodeServices } from "./node_services.ts";
import { runtime } from "../runtime/mod.ts";

/** Name of the read-only cqkd RPC that answers a node's {@linkcode NodeDiagnostics}; legacy nodes do not answer it. */
export const DIAGNOSE_RPC = "cqkd_diagnose";

/** Contacts listed by name in a diagnosis (closest, stale): enough to act on, small enough for one datagram. */
const LISTED = 8;

/** One k-bucket as a diagnosis shows it. */
export interface BucketDiagnostics {
  /** The hex digits of the low end of its range that its depth covers (`""` for the whole space). */
  prefix: string;
  /** Leading bits shared by every id in its range. */
  depth: number;
  contacts: number;
  replacements: number;
  /** Seconds since a contact of the bucket was last added or refreshed. */
  idleS: number;
}

/** A contact as a diagnosis lists it. */
export interface ContactDiagnostics {
  id: string;
  address: string;
  /** Seconds since the node last heard from it; `null` when it only heard of it (named by another node). */
  silentS: number | null;
}

/** What the health checks of one level did. */
export interface LevelDiagnostics {
  intervalS: number;
  timeoutMs: number;
  checks: number;
  failures: number;
  inconclusive: number;
  /** Seconds since the latest check of the level finished; `null` before the first. */
  lastAgoS: number | null;
  meanMs: number;
  maxMs: number;
}

/**
 * What a node tells of itself to `cqkd diagnose`: routing table, health checks, traffic and parameters. Plain
 * data (strings, numbers, booleans, arrays, maps) for both JSON and msgpack; times are relative, so that the
 * reader's clock does not matter.
 */
export interface NodeDiagnostics {
  id: string;
  role: string;
  address: string;
  parameters: {
    alpha: number;
    k: number;
    timeoutMs: number;
    refreshIntervalS: number;
    adaptive: boolean;
    /** Parameters set by `cqkd tune`, which the adaptive analyses leave alone. */
    pinned: string[];
  };
  /** The node's estimate of the network size, when its adaptive services run. */
  networkSize: number | null;
  table: {
    k: number;
    contacts: number;
    replacements: number;
    buckets: BucketDiagnostics[];
    /** Contacts not heard from within the refresh interval (or only heard of). */
    stale: number;
    /** The stale contacts silent longest (at most 8). */
    staleContacts: ContactDiagnostics[];
    /** The contacts closest to the node's own id (at most 8). */
    closest: ContactDiagnostics[];
  };
  health: {
    enabled: boolean;
    counts: HealthCounts;
    /** Contacts that failed one fast check, waiting for a second to confirm it. */
    suspects: number;
    levels: Record<HealthLevel, LevelDiagnostics> | null;
  };
  /** Request counters, and the round trips of the node's last answered RPCs. */
  transport: RequestCounters & { latency: LatencyPercentiles };
  refresh: { strategy: string; intervalS: number; overhead: number } | null;
}

/** Options of {@linkcode nodeDiagnostics}. */
export interface NodeDiagnosticsOptions {
  /** Clock in milliseconds: the routing table's. @default {Date.now} */
  now?: () => number;
}

/** A diagnosis of `node` as it is now, with what its services (when attached) know. */
export function nodeDiagnostics(
  node: KademliaNode,
  services?: NodeServices,
  options: NodeDiagnosticsOptions = {},
): NodeDiagnostics {
  const nowMs = (options.now ?? runtime.now)();
  const { table } = node;
  const silentS = (contact: Contact): number | null => {
    const seen = table.lastSeenMs(contact.id) ?? 0;
    return seen === 0 ? null : seconds(nowMs - seen);
  };
  const listed = (contact: Contact): ContactDiagnostics => ({
    id: contact.id.hex,
    address: formatPeer(contact),
    silentS: silentS(contact),
  });
  const staleAfterS = services?.refresh?.intervalS ?? node.refreshIntervalS;
  const stale = table.contacts().map(listed).filter((c) => c.silentS === null || c.silentS >= staleAfterS)
    .sort((a, b) => (b.silentS ?? Infinity) - (a.silentS ?? Infinity));
  const buckets = table.buckets();
  const { stats } = node.transport;
  const summary = services?.summary();
  return {
    id: node.id.hex,
    role: node.role,
    address: formatPeer(node.address),
    parameters: {
      alpha: node.alpha,
      k: table.k,
      timeoutMs: node.rpcTimeoutMs,
      refreshIntervalS: staleAfterS,
      adaptive: summary?.parameters.adaptive ?? false,
      pinned: services?.adaptive.pinned ?? [],
    },
    networkSize: summary?.networkSize ?? null,
    table: {
      k: table.k,
      contacts: table.size,
      replacements: buckets.reduce((n, b) => n + b.replacements, 0),
      buckets: buckets.map((b) => ({
        prefix: b.depth === 0 ? "" : b.lo.toString(16).padStart(40, "0").slice(0, Math.ceil(b.depth / 4)),
        depth: b.depth,
        contacts: b.size,
        replacements: b.replacements,
        idleS: seconds(nowMs - b.lastUpdatedMs),
      })),
      stale: stale.length,
      staleContacts: stale.slice(0, LISTED),
      closest: table.closest(node.id, LISTED).map(listed),
    },
    health: {
      enabled: services?.health !== undefined,
      counts: summary?.health.counts ?? { healthy: 0, degraded: 0, unhealthy: 0, unchecked: table.size },
      suspects: services?.health?.suspects ?? 0,
      levels: services?.health === undefined ? null : levelDiagnostics(services.health, nowMs),
    },
    transport: { ...stats.requests(), latency: node.transport.latency.percentiles() },
    refresh: summary === undefined || !("strategy" in summary.refresh) ? null : {
      strategy: summary.refresh.strategy,
      intervalS: summary.refresh.intervalS,
      overhead: Math.round(summary.refresh.overhead * 10_000) / 10_000,
    },
  };
}

function levelDiagnostics(
  health: NonNullable<NodeServices["health"]>,
  nowMs: number,
): Record<HealthLevel, LevelDiagnostics> {
  const entries = HEALTH_LEVELS.map((level) => {
    const { checks, failures, inconclusive, lastAtMs, totalDurationMs, maxDurationMs } = health.stats[level];
    const { intervalS, timeoutMs } = health.timing(level);
    return [level, {
      intervalS,
      timeoutMs,
      checks,
      failures,
      inconclusive,
      lastAgoS: lastAtMs === 0 ? null : seconds(nowMs - lastAtMs),
      meanMs: checks === 0 ? 0 : Math.round(totalDurationMs / checks * 10) / 10,
      maxMs: Math.round(maxDurationMs * 10) / 10,
    }] as const;
  });
  return Object.fromEntries(entries) as Record<HealthLevel, LevelDiagnostics>;
}

/** Milliseconds as seconds with one decimal, never negative. */
function seconds(ms: number): number {
  return Math.max(0, Math.round(ms / 100) / 10);
}
