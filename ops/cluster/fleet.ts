import { nodeOptionsFrom, type Settings } from "../../core/config/mod.ts";
import { KademliaNode, type SecureModeOptions } from "../../core/kademlia/mod.ts";
import type { Logger } from "../../core/log.ts";
import { type CqkdMetrics, metricsHooks, type MetricsSource } from "../../core/metrics/mod.ts";
import { formatPeer, parsePeer, TransportStats } from "../../core/net/mod.ts";
import { type PortRange, PortRegistry } from "../../core/ports/mod.ts";
import type { NodeServices } from "../../core/services/mod.ts";
import { type Attachment, BootstrapService, joinNetwork, servedTier, type Tier } from "../../roles/bootstrap/mod.ts";
import { ConflictError } from "../admin/mod.ts";
import type { NodeSpec } from "./plan.ts";
import { attachRecordedServices, livenessFrom } from "./node_services.ts";
import { attachProtocolRole, keygenTrustFrom, type ProtocolRole } from "./protocol_roles.ts";
import type { PeerTrust } from "../../roles/keygen/mod.ts";
import type { AuditLog } from "../audit/mod.ts";
import pLimit from "p-limit";
import { CheckBudget } from "../../core/health/mod.ts";
import { JoinPacing } from "./join_pacing.ts";

export type { NodeState, NodeStatus } from "./node_status.ts";
import type { NodeState, NodeStatus } from "./node_status.ts";

/** Options of {@linkcode Fleet}. */
export interface FleetOptions {
  settings: Settings;
  log: Logger;
  /** Where worker ports come from (this host's slice of the cluster's range). */
  workerPorts?: PortRange;
  /** Most nodes starting and joining at once; fewer while the process is behind (JoinPacing). @default {32} */
  concurrency?: number;
  /** Bootstrap nodes announce themselves to their parent this often. @default {5000} */
  heartbeatMs?: number;
  /** Time allowed to each attempt of the bootstrap flow. @default {2000} */
  attemptTimeoutMs?: number;
  /**
   * A join that meets timeouts or full bootstrap nodes (a loaded network) tries again, with backoff, for this long
   * before the node counts as failed. @default {120000}
   */
  joinDeadlineMs?: number;
  /** Records the nodes' RPCs, lookups and join times; observe the fleet itself for their state. */
  metrics?: CqkdMetrics;
  /** Secure mode: every node seals its datagrams with these cluster keys (each with an identity of its own). */
  secure?: SecureModeOptions;
  /** Where key-exchange messages that Alice, Bob or a worker dropped are recorded. */
  audit?: AuditLog;
}

/** A running node of the fleet and what runs on it. */
export interface FleetNode {
  name: string;
  node: KademliaNode;
  bootstrap?: BootstrapService;
}

interface Member {
  spec: NodeSpec;
  state: NodeState;
  requestedAt: number;
  readyAt?: number;
  error?: string;
  node?: KademliaNode;
  bootstrap?: BootstrapService;
  attachment?: Attachment;
  /** Adaptive parameters, health checks, adaptive refresh and discovery. */
  services?: NodeServices;
  /** The key-exchange services of the node's role (worker, Alice, Bob). */
  protocol?: ProtocolRole;
  /** Its socket is closed and its counters moved to the fleet's retired totals. */
  retired?: boolean;
  /** Aborted when the member is stopped: what its start is waiting on gives up. */
  readonly abort: AbortController;
}

/**
 * The nodes of one host process: starts them from specs (bootstrap nodes with their tier service, workers on ports
 * from the host's registry), joins each through the bootstrap flow, reports their state, and stops them in order.
 */
export class Fleet implements MetricsSource {
  readonly #members = new Map<string, Member>();
  readonly #queue: Member[] = [];
  readonly #options:
    & Required<Omit<FleetOptions, "workerPorts" | "metrics" | "secure" | "audit">>
    & Pick<FleetOptions, "metrics" | "secure" | "audit">;
  /** Counters of the nodes closed so far: the fleet's totals never go down. */
  readonly #retired = new TransportStats();
  /** Alice and Bob of this process trust each other (pinned as they start) and whom the settings name. */
  #keygenTrust?: PeerTrust;
  readonly #ports?: PortRegistry;
  #running = 0;
  readonly #pacing: JoinPacing;
  /** The nodes of this process stall together: their lookups of themselves after a stall take turns. */
  readonly #stallAnnouncements = pLimit(STALL_ANNOUNCEMENTS_AT_ONCE);
  /** The health checks of this process's nodes share one budget: a crowded process checks less, not more. */
  readonly #healthBudget: CheckBudget | undefined;

  constructor(options: FleetOptions) {
    this.#options = { concurrency: 32, heartbeatMs: 5000, attemptTimeoutMs: 2000, joinDeadlineMs: 120_000, ...options };
    const rate = options.settings.host_health_check_rate;
    // Held while nodes wait to start: the joins come first (health checks of a thousand nodes took the loop from them).
    this.#healthBudget = rate > 0
      ? new CheckBudget({ ratePerS: rate, held: () => this.#queue.length > 0 || this.#running > 0 })
      : undefined;
    this.#pacing = new JoinPacing({ max: this.#options.concurrency, onRaise: () => this.#pump() });
    if (options.workerPorts) {
      this.#ports = new PortRegistry(options.workerPorts, {
        allocationTimeoutMs: options.settings.port_allocation_timeout * 1000,
      });
    }
  }

  /** Where this host's metrics are recorded, if anywhere. */
  get metrics(): CqkdMetrics | undefined {
    return this.#options.metrics;
  }
  /**
   * Queues nodes to start; they start and join in the background, `concurrency` at a time. A name whose node
   * stopped or failed is started again from the new spec (with a new id).
   * @throws {ConflictError} when a node of that name runs (or is starting) on this host
   */
  start(specs: readonly NodeSpec[]): void {
    for (const spec of specs) {
      const state = this.#members.get(spec.name)?.state;
      if (state !== undefined && state !== "stopped" && state !== "failed") {
        throw new ConflictError(`A node named ${spec.name} already runs on this host`);
      }
    }
    for (const spec of specs) {
      const member: Member = { spec, state: "starting", requestedAt: performance.now(), abort: new AbortController() };
      this.#members.delete(spec.name); // a restarted node goes to the end: start order
      this.#members.set(spec.name, member);
      this.#queue.push(member);
    }
    this.#pump();
  }

  /** The node named `name`, when it is running. */
  node(name: string): KademliaNode | undefined {
    const member = this.#members.get(name);
    return member?.state === "ready" ? member.node : undefined;
  }

  /** The protocol services of the first ready node of `role` (Alice and Bob for a key exchange). */
  protocol(role: "worker" | "alice" | "bob"): ProtocolRole | undefined {
    return [...this.#members.values()].find((m) => m.state === "ready" && m.spec.role === role)?.protocol;
  }

  /** The nodes that run now (joining or ready), in start order. */
  running(): FleetNode[] {
    return [...this.#members.values()].flatMap(({ spec, node, bootstrap, services, state }) =>
      node !== undefined && (state === "ready" || state === "joining")
        ? [{ name: spec.name, node, ...(bootstrap ? { bootstrap } : {}), ...(services ? { services } : {}) }]
        : []
    );
  }

  /** The nodes whose sockets are open, as the metrics read them. */
  nodes(): KademliaNode[] {
    return [...this.#members.values()].flatMap((m) => m.node !== undefined && !m.retired ? [m.node] : []);
  }

  /** Transport counters of every node this fleet ran, closed ones included. */
  stats(): TransportStats {
    const total = new TransportStats().add(this.#retired);
    for (const node of this.nodes()) total.add(node.transport.stats);
    return total;
  }

  /** Every node's status, in start order. */
  statuses(): NodeStatus[] {
    return [...this.#members.values()].map(statusOf);
  }

  /** How many nodes of each role are in each state: what startup polls to gate its steps. */
  countsByRole(): Record<string, Record<NodeState, number>> {
    const counts: Record<string, Record<NodeState, number>> = {};
    for (const { spec, state } of this.#members.values()) {
      counts[spec.role] ??= { starting: 0, joining: 0, ready: 0, failed: 0, stopped: 0 };
      counts[spec.role]![state]++;
    }
    return counts;
  }

  /** Ids (hex) of the joiners holding a slot on this host's bootstrap nodes. */
  leaseHolders(): string[] {
    return [...this.#members.values()].flatMap((m) => m.state === "ready" ? m.bootstrap?.joiners() ?? [] : []);
  }

  /** Conflicts met by the worker port registry (ports held by other processes). */
  portConflicts = (): number[] => this.#ports?.conflicts().map((c) => c.port) ?? [];

  /**
   * Stops the running nodes that match: workers first leave their bootstrap node (freeing its slot), then close.
   * @returns how many stopped
   */
  async stop(match: { roles?: readonly string[]; names?: readonly string[] } = {}): Promise<number> {
    const chosen = [...this.#members.values()].filter((m) =>
      m.state !== "stopped" && (match.roles === undefined || match.roles.includes(m.spec.role)) &&
      (match.names === undefined || match.names.includes(m.spec.name))
    );
    const leaving = new Set(chosen);
    const waiting = this.#queue.filter((member) => !leaving.has(member));
    this.#queue.splice(0, this.#queue.length, ...waiting);
    // Their health checks, refresh and other services stop first, all at once: a loaded process then has its loop
    // for the leaves.
    await Promise.all(chosen.map((member) => member.services?.stop()));
    await Promise.all(chosen.map((member) => this.#stopMember(member)));
    return chosen.length;
  }

  /** Stops every node. */
  stopAll(): Promise<number> {
    return this.stop();
  }

  /** Stops every node: `await using` a fleet stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
    this.#pacing[Symbol.dispose]();
  }

  #pump(): void {
    if (this.#queue.length > 0) this.#pacing.watch(() => this.#queue.length > 0 || this.#running > 0);
    while (this.#running < this.#pacing.limit && this.#queue.length > 0) {
      const member = this.#queue.shift()!;
      this.#running++;
      this.#launch(member).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #launch(member: Member): Promise<void> {
    const { spec } = member;
    const { signal } = member.abort;
    const log = this.#options.log;
    try {
      member.node = this.#bind(spec);
      member.state = "joining";
      if (spec.seeds.length > 0) {
        member.attachment = await joinNetwork(member.node, {
          seeds: spec.seeds.map((s) => ({ ...parsePeer(s.address), tier: s.tier })),
          fallback: this.#options.settings.enable_fallback_mode ? spec.fallback.map(parsePeer) : [],
          role: spec.role,
          attemptTimeoutMs: this.#options.attemptTimeoutMs,
          retry: { deadlineMs: this.#options.joinDeadlineMs },
        }, { signal });
      }
      if (signal.aborted) return void await member.attachment?.leave();
      const tier = servedTier(spec.role);
      if (tier !== undefined) member.bootstrap = this.#serve(member.node, spec, tier, member.attachment);
      // A bootstrap node is ready once its parent has heard of it: the load balancer can hand it out.
      await member.bootstrap?.announceNow();
      if (signal.aborted) return;
      const { settings, metrics } = this.#options;
      member.services = attachRecordedServices(member.node, settings, metrics, this.#healthBudget);
      this.#keygenTrust ??= keygenTrustFrom(this.#options.settings);
      member.protocol = await attachProtocolRole(member.node, {
        ...this.#options,
        name: spec.name,
        services: member.services,
        trust: this.#keygenTrust,
      });
      const party = member.protocol?.alice ?? member.protocol?.bob;
      if (party) this.#keygenTrust.pin(party.self.identity);
      if (signal.aborted) return void await member.protocol?.stop();
      member.state = "ready";
      member.readyAt = performance.now();
      this.#options.metrics?.bootstrapFinished((member.readyAt - member.requestedAt) / 1000);
    } catch (error) {
      if (member.state === "stopped") return;
      member.state = "failed";
      member.error = (error as Error).message;
      log.warn(`${spec.name}: ${member.error}`);
      await this.#release(member);
    }
  }

  /**
   * Makes a joined node a bootstrap node of `tier`. Its parent is the bootstrap node that admitted it (which the
   * load balancer chose), else the one the plan names.
   */
  #serve(node: KademliaNode, spec: NodeSpec, tier: Tier, attachment: Attachment | undefined): BootstrapService {
    const admittedBy = attachment?.attachedTo;
    const parent = admittedBy !== undefined && "tier" in admittedBy
      ? { host: admittedBy.host, port: admittedBy.port }
      : spec.parent === undefined
      ? undefined
      : parsePeer(spec.parent);
    return BootstrapService.attach(node, {
      tier,
      region: spec.region,
      name: spec.name,
      capacity: this.#options.settings.max_connections || undefined,
      ...(parent ? { parent } : {}),
      heartbeatMs: this.#options.heartbeatMs,
      // A local cluster's nodes share a few addresses: the per-source caps would cap the cluster itself.
      limits: { leaseShare: 1, ratePerS: 100_000, burst: 100_000, directoryEntries: Infinity },
      onWarning: (message) => this.#options.log.debug(`${spec.name}: ${message}`),
    });
  }

  /** One heartbeat now from every ready bootstrap node of `role`: spreads fresh load and directory news. */
  async announce(role: string): Promise<void> {
    const services = [...this.#members.values()].filter((m) => m.spec.role === role && m.state === "ready")
      .flatMap((m) => m.bootstrap ? [m.bootstrap] : []);
    await Promise.allSettled(services.map((service) => service.announceNow()));
  }

  #bind(spec: NodeSpec): KademliaNode {
    const { settings, log } = this.#options;
    const start = (port: number) =>
      KademliaNode.start({
        ...nodeOptionsFrom(settings),
        ...livenessFrom(settings),
        stallAnnouncements: this.#stallAnnouncements,
        host: "127.0.0.1",
        port,
        role: spec.role,
        ...(this.#options.secure ? { secure: this.#options.secure } : {}),
        onWarning: (message) => log.debug(`${spec.name}: ${message}`),
        ...(this.#options.metrics ? metricsHooks(this.#options.metrics) : {}),
      });
    if (spec.port !== 0) return start(spec.port);
    if (this.#ports === undefined) throw new RangeError(`${spec.name} needs a port, and this host has no port range`);
    return this.#ports.allocate(start, spec.name);
  }

  async #stopMember(member: Member): Promise<void> {
    const wasRunning = member.state === "ready" || member.state === "joining";
    member.state = "stopped";
    member.abort.abort(new Error(`${member.spec.name} stopped`));
    if (wasRunning) await member.attachment?.leave().catch(() => {});
    await this.#release(member);
  }

  async #release(member: Member): Promise<void> {
    await member.bootstrap?.stop();
    await member.protocol?.stop();
    await member.services?.stop();
    const node = member.node;
    if (node === undefined) return;
    await node.stop();
    if (!member.retired) this.#retired.add(node.transport.stats);
    member.retired = true;
    if (member.spec.port === 0) this.#ports?.release(node.address.port);
  }
}

/** Lookups of themselves after a stall that the nodes of one host process run at once. */
const STALL_ANNOUNCEMENTS_AT_ONCE = 2;
function statusOf(member: Member): NodeStatus {
  const { spec, node, attachment, bootstrap, services } = member;
  const info = bootstrap?.info();
  const summary = member.state === "ready" ? services?.summary() : undefined;
  const attached = attachment?.attachedTo;
  return {
    name: spec.name,
    role: spec.role,
    region: spec.region,
    state: member.state,
    ...(node ? { id: node.id.hex, address: formatPeer(node.address), contacts: node.table.size } : { contacts: 0 }),
    ...(node && !member.retired ? { rpc: rpcFigures(node) } : {}),
    ...(member.error ? { error: member.error } : {}),
    ...(attachment
      ? {
        entry: formatPeer(attachment.entry),
        ...(attachment.entry.tier ? { entryTier: attachment.entry.tier } : {}),
        attachedTo: attached && "name" in attached ? attached.name : formatPeer(attached!),
        fallback: attachment.fallback,
      }
      : {}),
    ...(info ? { load: info.load, capacity: info.capacity } : {}),
    ...(member.readyAt !== undefined ? { readyMs: Math.round(member.readyAt - member.requestedAt) } : {}),
    ...(summary
      ? { networkSize: summary.networkSize, parameters: summary.parameters, health: { ...summary.health.counts } }
      : {}),
  };
}

function rpcFigures({ transport }: KademliaNode): NonNullable<NodeStatus["rpc"]> {
  const { requestsOut, timeouts } = transport.stats;
  const srttMs = transport.rtt.smoothedMs;
  return { requestsOut, timeouts, ...(srttMs === undefined ? {} : { srttMs: Math.round(srttMs * 10) / 10 }) };
}
