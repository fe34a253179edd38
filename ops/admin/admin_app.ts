import { type Context, Hono } from "hono";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import { nodeDiagnostics } from "../../core/services/mod.ts";
import { formatPeer } from "../../core/net/mod.ts";
import type { AuditLog } from "../audit/mod.ts";
import { accessControl, type RateLimit } from "./access_control.ts";
import { AccessTokens } from "./access_tokens.ts";
import { bootstrapRoutes } from "./bootstrap_routes.ts";
import { metricsRoutes } from "./metrics_routes.ts";
import { jsonErrors, jsonNotFound } from "./middleware.ts";
import { type AdminNode, findNode, type NodeDirectory } from "./node_directory.ts";
import { nodeRoutes } from "./node_routes.ts";
import { parameterRoutes, processParameterRoutes } from "./parameter_routes.ts";
import { NotFoundError } from "./errors.ts";

/**
 * Options of {@linkcode adminApp}; `Node` is what `GET /nodes` lists and `Health` what a process adds to
 * `GET /health`, so that the app's type (and the typed client) knows them.
 */
export interface AdminAppOptions<Node = NodeBrief, Health extends object = Record<never, never>> {
  /** Name of the process (reported by /health and /status). */
  name: string;
  /** The nodes the API exposes. */
  nodes: NodeDirectory;
  /** The process's metrics, served at /metrics. */
  metrics: CqkdMetrics;
  /** A write token (named `admin_token`), the simple form of `tokens`. */
  token?: string;
  /** The tokens accepted, with their scopes; without a write token, mutations are refused (401). @default `token` */
  tokens?: AccessTokens;
  /** Per-client rate limits (per client address and per token). @default no limit */
  rateLimit?: RateLimit;
  /** Where every mutation is recorded, refused ones included. @default not recorded */
  audit?: AuditLog;
  /** Where `POST …/ops/fallback` rejoins by default. @default {[]} */
  fallbackPeers?: readonly Peer[];
  /** More fields for `GET /health` (a host adds its node counts by role and state). */
  health?: () => Health;
  /** What `GET /nodes` lists. @default name, id, role, address and contacts of each node */
  describeNodes?: () => Node[];
}

/**
 * The admin HTTP API of a cqkd process, one Hono app with a sub-app per resource: `/health`, `/status`
 * (the process), `/diagnose` (every node's diagnosis, for `cqkd diagnose`), `/parameters` (every node's tunable
 * parameters, for `cqkd tune`), `/nodes` and `/nodes/:id/…` (each node: status, legacy network-status, routing
 * table, DHT reads and writes, tunable parameters, ops), `/bootstrap/nodes` (load balancer), `/metrics`
 * (Prometheus). A process with a single node also
 * answers the node endpoints at the top level (`/network-status`, `/dht/:key`, …), as the legacy nodes do. Every
 * request passes {@linkcode accessControl}: rate limits, then a write token for every mutation (and a read token for
 * reads once one is configured), and an audit line per mutation. Errors are JSON `{error}` with a 4xx or 5xx status.
 *
 * @example The network status of the only node of a process
 * ```ts
 * import { KademliaNode } from "../../core/kademlia/mod.ts";
 * import { CqkdMetrics } from "../../core/metrics/mod.ts";
 * import { adminApp } from "./mod.ts";
 * await using node = KademliaNode.start();
 * const app = adminApp({ name: "n1", nodes: { list: () => [{ name: "n1", node }] }, metrics: new CqkdMetrics() });
 * const status = await (await app.request("/network-status")).json();
 * console.assert(status.node_id === node.id.hex);
 * ```
 */
export function adminApp<Node = NodeBrief, Health extends object = Record<never, never>>(
  options: AdminAppOptions<Node, Health>,
) {
  const { nodes } = options;
  const tokens = options.tokens ??
    new AccessTokens(options.token ? [{ name: "admin_token", scope: "write", token: options.token }] : []);
  const started = performance.now();
  const fallback = options.fallbackPeers === undefined ? {} : { fallbackPeers: options.fallbackPeers };
  return new Hono()
    .onError(jsonErrors)
    .notFound(jsonNotFound)
    .use(accessControl({
      tokens,
      metrics: options.metrics,
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
    }))
    .get("/health", (c) => c.json({ host: options.name, pid: Deno.pid, ...options.health?.() as Health }))
    .get("/status", (c) => c.json(processStatus(options.name, [...nodes.list()], started)))
    .get("/nodes", (c) => c.json(options.describeNodes?.() ?? [...nodes.list()].map(brief) as Node[]))
    .get("/diagnose", (c) =>
      c.json({
        name: options.name,
        nodes: [...nodes.list()].map(({ name, node, services }) => ({ name, ...nodeDiagnostics(node, services) })),
      }))
    .route("/parameters", processParameterRoutes(nodes))
    .route("/nodes/:id/parameters", parameterRoutes((c) => byId(nodes, c)))
    .route("/nodes/:id", nodeRoutes({ pick: (c) => byId(nodes, c), ...fallback }))
    .route("/bootstrap", bootstrapRoutes(nodes))
    .route("/metrics", metricsRoutes(options.metrics))
    .route("/", nodeRoutes({ pick: () => onlyNode(nodes), ...fallback }));
}

/** The type of the admin app, for Hono's typed client (`hc<AdminAppType>`). */
export type AdminAppType = ReturnType<typeof adminApp>;

function byId(directory: NodeDirectory, c: Context): AdminNode {
  const id = c.req.param("id") ?? "";
  const entry = findNode(directory, id);
  if (entry === undefined) throw new NotFoundError(`No node named or with id ${id} in this process`);
  return entry;
}

function onlyNode(directory: NodeDirectory): AdminNode {
  const all = [...directory.list()];
  if (all.length !== 1) {
    throw new NotFoundError(
      `This process runs ${all.length} nodes: ask for one by name or id under /nodes/:id/`,
    );
  }
  return all[0]!;
}

/** What `GET /nodes` lists of a node by default. */
export type NodeBrief = ReturnType<typeof brief>;

function brief({ name, node }: AdminNode) {
  return { name, id: node.id.hex, role: node.role, address: formatPeer(node.address), contacts: node.table.size };
}

/** What `GET /status` tells of the process: its nodes by role, and RPC traffic over them all. */
function processStatus(name: string, entries: readonly AdminNode[], started: number) {
  const roles: Record<string, number> = {};
  let requestsOut = 0, timeouts = 0, contacts = 0;
  for (const { node } of entries) {
    roles[node.role] = (roles[node.role] ?? 0) + 1;
    requestsOut += node.transport.stats.requestsOut;
    timeouts += node.transport.stats.timeouts;
    contacts += node.table.size;
  }
  return {
    name,
    pid: Deno.pid,
    uptimeS: Math.round((performance.now() - started) / 1000),
    nodes: entries.length,
    roles,
    meanContacts: entries.length === 0 ? 0 : Math.round(contacts / entries.length * 10) / 10,
    rpc: { requestsOut, timeouts },
  };
}
