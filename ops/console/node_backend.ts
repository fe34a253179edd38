/**
 * The console of a `cqkd node` process: a one-node view of the node it runs (or of the nodes of a process with no
 * cluster state), read in process; the operations act on those nodes directly (parameters, deny list, rejoin).
 */
import type { Hono } from "hono";
import { type NodeDiagnostics, nodeDiagnostics, tuneParameters } from "../../core/services/mod.ts";
import { formatPeer, type Peer } from "../../core/net/mod.ts";
import type { AdminNode, NodeDirectory } from "../admin/node_directory.ts";
import { isolateOnNode, refreshNode, rejoinNode } from "../admin/node_ops.ts";
import type { KeygenReport } from "../cluster/keygen_route.ts";
import { CommandError } from "../exit_codes.ts";
import { isParameterGroup } from "./parameter_groups.ts";
import type {
  ConsoleBackend,
  KeygenRequest,
  KeyPool,
  NodeRow,
  OperationResult,
  SessionReport,
  Snapshot,
} from "./source.ts";
import { withoutKeys } from "./source.ts";
import { type ProcessSummary, processSummary, snapshotOf, valuesLine } from "./summary.ts";

/** Options of {@linkcode NodeBackend}. */
export interface NodeBackendOptions {
  nodes: NodeDirectory;
  /** The key-exchange routes of this process (Alice's or Bob's), when it has them. */
  keygen?: Hono;
  /** Where "recover" rejoins. */
  fallbackPeers?: readonly Peer[];
}

/** The console's view of the nodes of this process. */
export class NodeBackend implements ConsoleBackend {
  readonly scope = "node" as const;
  constructor(readonly options: NodeBackendOptions) {}

  #entries(): AdminNode[] {
    return [...this.options.nodes.list()];
  }

  snapshot(): Promise<Snapshot> {
    const summary = this.localSummary();
    const entries = this.#entries();
    const title = entries.length === 1 ? entries[0]!.name : `${entries.length} nodes`;
    return Promise.resolve(snapshotOf({
      scope: "node",
      title,
      running: entries.length > 0,
      healthy: entries.length > 0 && entries.every((e) => e.node.table.size > 0),
      hosts: [{
        name: title,
        pid: Deno.pid,
        alive: true,
        rssMb: Math.round(Deno.memoryUsage().rss / 1048576),
        nodes: entries.length,
        ready: entries.length,
      }],
      tiers: Object.entries(summary.roles).map(([role, states]) => {
        const n = states.ready ?? 0;
        return { tier: role, expected: n, ready: n, failed: 0 };
      }),
    }, summary));
  }

  nodes(): Promise<NodeRow[]> {
    return Promise.resolve(this.#entries().map(rowOf));
  }

  localSummary(): ProcessSummary {
    return processSummary(this.#entries());
  }

  diagnostics(row: NodeRow): Promise<NodeDiagnostics | undefined> {
    const entry = this.#entries().find((e) => e.name === row.name);
    return Promise.resolve(entry && nodeDiagnostics(entry.node, entry.services));
  }

  async #keygenRequest<T>(path: string, body?: unknown): Promise<T> {
    const app = this.options.keygen;
    if (app === undefined) throw new CommandError("This node runs no key exchange: open the console of Alice's node");
    const response = await app.request(
      path,
      body === undefined ? {} : {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      },
    );
    const answer = await response.json();
    if (!response.ok) throw new CommandError(answer?.error ?? `HTTP ${response.status}`);
    return answer as T;
  }

  async sessions(): Promise<SessionReport[]> {
    if (this.options.keygen === undefined) return [];
    return (await this.#keygenRequest<KeygenReport[]>("/sessions")).map((r) => withoutKeys(r));
  }

  async keyPool(): Promise<KeyPool | undefined> {
    if (this.options.keygen === undefined) return undefined;
    return await this.#keygenRequest<KeyPool>("/keys/pool").catch(() => undefined);
  }

  async keygen(request: KeygenRequest): Promise<SessionReport> {
    return withoutKeys(await this.#keygenRequest<KeygenReport>("/keygen", { ...request, showKey: false }));
  }

  diagnose(): Promise<OperationResult> {
    const rows: Array<Array<string | number>> = [];
    for (const { name, node, services } of this.#entries()) {
      const d = nodeDiagnostics(node, services);
      const loss = d.transport.requestsOut === 0 ? 0 : d.transport.timeouts / d.transport.requestsOut;
      rows.push(
        [name, "contacts", d.table.contacts, d.table.contacts > 0 ? "ok" : "no contact: rejoin (recover)"],
        [name, "stale contacts", d.table.stale, d.table.stale === 0 ? "ok" : "refresh (recover)"],
        [name, "unhealthy contacts", d.health.counts.unhealthy, d.health.counts.unhealthy === 0 ? "ok" : "isolate"],
        [name, "RPCs unanswered", `${(loss * 100).toFixed(1)} %`, loss > 0.05 ? "over 5 %" : "ok"],
        [name, "RPC latency p99", `${d.transport.latency.p99Ms} ms`, d.transport.latency.p99Ms > 500 ? "slow" : "ok"],
      );
    }
    const problems = rows.filter((r) => r[3] !== "ok").length;
    return Promise.resolve({
      ok: problems === 0,
      summary: problems === 0 ? "No problem found" : `${problems} finding(s) to act on`,
      headers: ["node", "check", "value", "result"],
      rows,
    });
  }

  async tune(group: string, assignments: string[], reset: boolean): Promise<OperationResult> {
    if (!isParameterGroup(group)) throw new CommandError(`Unknown parameter group ${group}`);
    // Loaded when used: the admin app loads this module, and `cqkd tune`'s module graph leads back to the admin app.
    const { parseAssignments } = await import("../diagnose/tune.ts");
    const set = parseAssignments(group, assignments);
    const rows = this.#entries().map((entry) => {
      const result = tuneParameters(entry, group, { set, reset });
      return [entry.name, valuesLine(result.values)];
    });
    return {
      ok: true,
      summary: `${group} parameters now in force on ${rows.length} node(s)`,
      headers: ["node", "parameters"],
      rows,
    };
  }

  isolate(targets: string[]): Promise<OperationResult> {
    for (const id of targets) {
      if (!/^[0-9a-fA-F]{40}$/.test(id)) throw new CommandError(`Invalid contact id ${id}: expected 40 hex digits`);
    }
    const rows = this.#entries().map(({ name, node }) => {
      const outcome = isolateOnNode(node, targets, true);
      return [name, outcome.removed, outcome.blocked, outcome.contacts];
    });
    return Promise.resolve({
      ok: true,
      summary: `${targets.length} contact(s) removed and blocked`,
      headers: ["node", "removed", "blocked ids", "contacts"],
      rows,
    });
  }

  async recover(): Promise<OperationResult> {
    const peers = this.options.fallbackPeers ?? [];
    const rows: Array<Array<string | number>> = [];
    let ok = true;
    for (const { name, node } of this.#entries()) {
      try {
        const rejoined = peers.length > 0 ? await rejoinNode(node, peers) : undefined;
        const refreshed = await refreshNode(node, "all");
        rows.push([name, rejoined?.reached.join(", ") || "-", refreshed.buckets, refreshed.contacts]);
      } catch (error) {
        ok = false;
        rows.push([name, `failed: ${(error as Error).message}`, 0, node.table.size]);
      }
    }
    return {
      ok,
      summary: peers.length > 0
        ? `Rejoined through ${peers.map(formatPeer).join(", ")} and refreshed every bucket`
        : "Refreshed every bucket (no fallback_bootstrap_nodes to rejoin through)",
      headers: ["node", "rejoined through", "buckets refreshed", "contacts"],
      rows,
    };
  }
}

function rowOf({ name, node, services }: AdminNode): NodeRow {
  const summary = services?.summary();
  const srttMs = node.transport.rtt.smoothedMs;
  return {
    name,
    role: node.role,
    region: "",
    state: "ready",
    id: node.id.hex,
    address: formatPeer(node.address),
    contacts: node.table.size,
    rpc: {
      requestsOut: node.transport.stats.requestsOut,
      timeouts: node.transport.stats.timeouts,
      ...(srttMs === undefined ? {} : { srttMs: Math.round(srttMs * 10) / 10 }),
    },
    ...(summary
      ? { networkSize: summary.networkSize, parameters: summary.parameters, health: { ...summary.health.counts } }
      : {}),
  };
}
