/**
 * What the console shows and does, independent of where it runs: a {@linkcode ConsoleBackend} reads a snapshot of
 * the network (the whole local cluster from one of its host processes, or the one node of a `cqkd node` process)
 * and runs the operations; {@linkcode ConsoleData} keeps the history and shares one snapshot between the viewers
 * of the same second.
 */
import type { NodeDiagnostics } from "../../core/services/mod.ts";
import type { KeygenReport } from "../cluster/keygen_route.ts";
import type { NodeStatus } from "../cluster/fleet.ts";
import type { HostStatus, ParameterGroup, TierStatus } from "../status.ts";
import { type Alert, firingAlerts } from "./alerts.ts";
import { HealthHistory, type HealthPoint, TrafficHistory, type TrafficPoint } from "./history.ts";
import type { NodeHealthTuple, ProcessSummary } from "./summary.ts";
import type { TrafficTotals } from "./traffic.ts";

/** A node as the console lists it. */
export type NodeRow = NodeStatus & { host?: string };

/** The network as one refresh sees it. */
export interface Snapshot {
  scope: "cluster" | "node";
  /** What the console shows the state of ("local cluster", or the node's name). */
  title: string;
  running: boolean;
  healthy: boolean;
  hosts: HostStatus[];
  tiers: TierStatus[];
  parameters: ParameterGroup[];
  estimatedNetworkSize?: number;
  /** Routing-table contacts by health status, summed over the nodes. */
  contactHealth: Record<string, number>;
  nodeCount: number;
  readyCount: number;
  /** Each running node's contacts by health. */
  health: NodeHealthTuple[];
  traffic: TrafficTotals;
}

/** The overview: a snapshot with its history and the alerts that fire. */
export type Overview = Omit<Snapshot, "health" | "traffic"> & {
  history: readonly TrafficPoint[];
  alerts: Alert[];
  /** Epoch milliseconds of the snapshot. */
  at: number;
  /** Milliseconds the snapshot took to gather. */
  gatherMs: number;
};

/** A node's page. */
export interface NodeDetail {
  row: NodeRow;
  diagnostics?: NodeDiagnostics;
  history: readonly HealthPoint[];
}

/** The key pool and key rate that key delivery reports (`GET /keys/pool` where Alice runs), once it exists. */
export interface KeyPool {
  fill_bits: number;
  capacity_bits?: number;
  rate_bps?: number;
}

/** A key-exchange request from the console. */
export interface KeygenRequest {
  bits: number;
  noise: number;
  eve: number;
}

/** A session as the console keeps it: the report without key material, and when it ended. */
export type SessionReport = Omit<KeygenReport, "alice" | "bob" | "key_id"> & {
  alice: { bits: number; fingerprint: string | null };
  bob: { bits: number; fingerprint: string | null };
  at?: number;
};

/** What an operation did, as a table and a sentence. */
export interface OperationResult {
  ok: boolean;
  summary: string;
  headers: string[];
  rows: Array<Array<string | number>>;
}

/** Where the console's data comes from and where its operations go. */
export interface ConsoleBackend {
  readonly scope: "cluster" | "node";
  snapshot(): Promise<Snapshot>;
  /** Every node with its full status (the nodes page: dearer than the snapshot). */
  nodes(): Promise<NodeRow[]>;
  /** What this process tells another host process's console (the figures of its own nodes). */
  localSummary(): ProcessSummary;
  diagnostics(row: NodeRow): Promise<NodeDiagnostics | undefined>;
  /** Key exchanges, when Alice can be reached from here. */
  sessions(): Promise<SessionReport[]>;
  keyPool(): Promise<KeyPool | undefined>;
  keygen(request: KeygenRequest): Promise<SessionReport>;
  diagnose(): Promise<OperationResult>;
  tune(group: string, assignments: string[], reset: boolean): Promise<OperationResult>;
  isolate(targets: string[]): Promise<OperationResult>;
  recover(): Promise<OperationResult>;
}

/** The key report without key material or the key's id (which key delivery hands out), whatever the report held. */
export function withoutKeys(report: KeygenReport, at?: number): SessionReport {
  const { alice, bob, key_id: _keyId, ...rest } = report;
  return {
    ...rest,
    alice: { bits: alice.bits, fingerprint: alice.fingerprint },
    bob: { bits: bob.bits, fingerprint: bob.fingerprint },
    ...(at === undefined ? {} : { at }),
  };
}

/** One gathering shared by every request within `maxAgeMs`; a failed one is not kept. */
class Shared<T> {
  #latest?: Promise<T>;
  #at = -Infinity;
  constructor(readonly maxAgeMs: number, readonly now: () => number, readonly gather: () => Promise<T>) {}

  get(): Promise<T> {
    const now = this.now();
    if (this.#latest !== undefined && now - this.#at < this.maxAgeMs) return this.#latest;
    this.#at = now;
    const gathering = this.gather();
    gathering.catch(() => {
      if (this.#latest === gathering) this.#latest = undefined;
    });
    return this.#latest = gathering;
  }
}

/**
 * The console's memory over a backend: one snapshot shared by every request within `maxAgeMs` (so that many open
 * consoles cost one gathering a second), the traffic and health history, the sessions started from the console.
 */
export class ConsoleData {
  readonly traffic = new TrafficHistory();
  readonly health = new HealthHistory();
  readonly #snapshots: Shared<{ snapshot: Snapshot; at: number; gatherMs: number }>;
  readonly #nodes: Shared<NodeRow[]>;
  readonly #sessions = new Map<string, SessionReport>();

  constructor(readonly backend: ConsoleBackend, readonly maxAgeMs = 1000, readonly now: () => number = Date.now) {
    this.#snapshots = new Shared(maxAgeMs, now, async () => {
      const started = performance.now();
      const snapshot = await backend.snapshot();
      const at = this.now();
      this.traffic.record(at, snapshot.traffic);
      this.health.record(at, snapshot.health);
      return { snapshot, at, gatherMs: Math.round((performance.now() - started) * 10) / 10 };
    });
    this.#nodes = new Shared(maxAgeMs, now, () => backend.nodes());
  }

  /** The latest snapshot, gathered again when older than `maxAgeMs`. */
  snapshot(): Promise<{ snapshot: Snapshot; at: number; gatherMs: number }> {
    return this.#snapshots.get();
  }

  async overview(): Promise<Overview> {
    const { snapshot, at, gatherMs } = await this.snapshot();
    const { health: _health, traffic: _traffic, ...rest } = snapshot;
    const history = this.traffic.points();
    const latest = history.at(-1);
    return {
      ...rest,
      history,
      alerts: firingAlerts({ hosts: rest.hosts, tiers: rest.tiers, ...(latest ? { traffic: latest } : {}) }),
      at,
      gatherMs,
    };
  }

  /** Every node's full status, gathered again when older than `maxAgeMs`. */
  nodes(): Promise<NodeRow[]> {
    return this.#nodes.get();
  }

  /** A node's page, by name or id; `undefined` when no node has it. */
  async node(key: string): Promise<NodeDetail | undefined> {
    const row = (await this.nodes()).find((n) => n.name === key || n.id === key.toLowerCase());
    if (row === undefined) return undefined;
    const diagnostics = row.state === "ready" ? await this.backend.diagnostics(row).catch(() => undefined) : undefined;
    return { row, ...(diagnostics ? { diagnostics } : {}), history: this.health.of(row.name) };
  }

  /** Sessions Alice reports, and those started from this console, newest first. */
  async sessions(): Promise<SessionReport[]> {
    // Alice lists her sessions oldest first, whoever started them (the CLI too); the console's own come after.
    const reported = await this.backend.sessions().catch(() => []);
    const listed = new Set(reported.map((s) => s.session));
    const own = [...this.#sessions.values()].filter((s) => !listed.has(s.session));
    return [...reported.map((s) => ({ ...s, ...this.#sessions.get(s.session) })), ...own].reverse();
  }

  async keygen(request: KeygenRequest): Promise<SessionReport> {
    const report = { ...await this.backend.keygen(request), at: this.now() };
    this.#sessions.set(report.session, report);
    if (this.#sessions.size > 64) this.#sessions.delete(this.#sessions.keys().next().value!);
    return report;
  }
}
