import { Hono } from "hono";
import { z } from "zod";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { Peer } from "../../core/net/mod.ts";
import type { AuditLog } from "../audit/mod.ts";
import {
  AccessTokens,
  adminApp,
  hostPortSchema,
  limitBody,
  NotFoundError,
  type RateLimit,
  valid,
} from "../admin/mod.ts";
import { NODE_ROLES } from "../../roles/mod.ts";
import type { ConsoleBackend } from "../console/mod.ts";
import type { Fleet } from "./fleet.ts";
import { findAll } from "./find_query.ts";
import { fleetRoutes } from "./fleet_routes.ts";
import { keygenRoutes } from "./keygen_route.ts";
import { type KeyDeliveryHost, keyDeliveryRoutes } from "./key_delivery_route.ts";
import { TIERS } from "./plan.ts";

const nodeSpec = z.object({
  name: z.string().min(1).max(100),
  role: z.enum(NODE_ROLES),
  port: z.number().int().min(0).max(65535),
  region: z.string().max(100),
  parent: hostPortSchema.optional(),
  seeds: z.array(z.object({ address: hostPortSchema, tier: z.enum(TIERS) })).max(16),
  fallback: z.array(hostPortSchema).max(64),
});
const startBody = z.object({ nodes: z.array(nodeSpec).min(1).max(10_000) });
const stopBody = z.object({
  roles: z.array(z.enum(NODE_ROLES)).optional(),
  names: z.array(z.string()).optional(),
});
const announceBody = z.object({ role: z.enum(NODE_ROLES) });
const findBody = z.object({ from: z.string().min(1), ids: z.array(z.string().regex(/^[0-9a-f]{40}$/)).max(100_000) });

/** Options of {@linkcode hostApp}. */
export interface HostAppOptions {
  /** Name of the host process (reported by /health). */
  name: string;
  /** The cluster's control token, which the CLI sends with every request. */
  token: string;
  /** The tokens accepted. @default the cluster's token alone, as a write token named `cluster` */
  tokens?: AccessTokens;
  /** Per-client rate limits. @default no limit */
  rateLimit?: RateLimit;
  /** Where every mutation is recorded. @default not recorded */
  audit?: AuditLog;
  /** Called by POST /shutdown after the answer is sent. */
  onShutdown: () => void;
  /** The process's metrics (the fleet records into them). @default fresh metrics observing the fleet */
  metrics?: CqkdMetrics;
  /** Where `POST /nodes/:id/ops/fallback` rejoins by default. @default {[]} */
  fallbackPeers?: readonly Peer[];
  /** The whole cluster as `cqkd status` sees it, served at GET /cluster. */
  clusterView?: () => Promise<unknown>;
  /** What the web console shows: the whole cluster. @default this process's nodes */
  console?: ConsoleBackend;
  /** Key delivery over Alice's and Bob's stores, served at /kme/…. */
  keyDelivery?: KeyDeliveryHost;
}

/** A start request for thousands of nodes is well under 4 MiB; anything larger is a mistake or an attack. */
const CONTROL_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * The API of a host process, served on 127.0.0.1: the admin API over the fleet's nodes ({@linkcode adminApp}:
 * `/nodes/:id/…`, `/bootstrap/nodes`, `/metrics`, `/status`) plus the control endpoints that `cqkd startup`,
 * `status`, `verify`, `shutdown` and `emergency` use to drive the nodes of the process (`/fleet/…`: an ops
 * endpoint over all of them at once). Access control as in
 * {@linkcode adminApp}, with the cluster's token as a write token.
 */
export function hostApp(fleet: Fleet, options: HostAppOptions) {
  const metrics = options.metrics ?? new CqkdMetrics();
  if (options.metrics === undefined) metrics.observe(fleet);
  return adminApp({
    name: options.name,
    nodes: { list: () => fleet.running() },
    metrics,
    tokens: options.tokens ?? new AccessTokens([{ name: "cluster", scope: "write", token: options.token }]),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.fallbackPeers ? { fallbackPeers: options.fallbackPeers } : {}),
    health: () => ({ roles: fleet.countsByRole() }),
    describeNodes: () => fleet.statuses(),
    ...(options.console ? { console: options.console } : {}),
  }).route("/", controlRoutes(fleet, options));
}

/** The type of a host process's API, for Hono's typed client ({@linkcode AdminClient}). */
export type HostAppType = ReturnType<typeof hostApp>;

/** The endpoints through which the cluster commands drive a host's fleet. */
function controlRoutes(fleet: Fleet, options: HostAppOptions) {
  const guard = [limitBody(CONTROL_BODY_LIMIT_BYTES)] as const;
  return new Hono()
    .get("/leases", (c) => c.json(fleet.leaseHolders()))
    .get("/cluster", async (c) => {
      if (options.clusterView === undefined) throw new NotFoundError("This host process has no cluster view");
      return c.json(await options.clusterView());
    })
    .get("/ports/conflicts", (c) => c.json(fleet.portConflicts()))
    .post("/nodes", ...guard, valid("json", startBody), (c) => {
      const { nodes } = c.req.valid("json");
      fleet.start(nodes);
      return c.json({ accepted: nodes.length }, 202);
    })
    .post("/nodes/stop", ...guard, valid("json", stopBody), async (c) => {
      const match = c.req.valid("json");
      return c.json({ stopped: await fleet.stop(match) });
    })
    .post("/bootstrap/announce", ...guard, valid("json", announceBody), async (c) => {
      await fleet.announce(c.req.valid("json").role);
      return c.json({ announced: true });
    })
    .post("/find", ...guard, valid("json", findBody), async (c) => {
      const { from, ids } = c.req.valid("json");
      return c.json(await findAll(fleet, from, ids, { signal: c.req.raw.signal }));
    })
    .route(
      "/",
      keygenRoutes({
        alice: () => fleet.protocol("alice")?.alice,
        bob: () => fleet.protocol("bob")?.bob,
        ...(fleet.metrics ? { metrics: fleet.metrics } : {}),
      }),
    )
    .route("/", options.keyDelivery ? keyDeliveryRoutes(options.keyDelivery) : new Hono())
    .route("/fleet", fleetRoutes(fleet, CONTROL_BODY_LIMIT_BYTES))
    .post("/shutdown", ...guard, (c) => {
      queueMicrotask(options.onShutdown);
      return c.json({ stopping: true }, 202);
    });
}
