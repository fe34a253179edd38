import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { formatPeer, parsePeer, type Peer } from "../../core/net/mod.ts";
import { fromJsonValue, toJsonValue } from "./_json_value.ts";
import { limitBody } from "./middleware.ts";
import { networkStatus } from "./network_status.ts";
import { isolateOnNode, refreshNode, rejoinNode } from "./node_ops.ts";
import type { AdminNode } from "./node_directory.ts";
import { valid } from "./validation.ts";
import { ConflictError, NotFoundError } from "./errors.ts";

/** Options of {@linkcode nodeRoutes}. */
export interface NodeRoutesOptions {
  /** The node a request is about (from its path, or the process's only node); throws NotFoundError if none. */
  pick: (c: Context) => AdminNode;
  /** Where `POST …/ops/fallback` rejoins when the request names no peers. @default {[]} */
  fallbackPeers?: readonly Peer[];
}

/** Largest body a node endpoint takes: a DHT value (8 KiB encoded) in JSON, with room to spare. */
export const NODE_BODY_LIMIT_BYTES = 64 * 1024;

const IP_PORT = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/;
/** A peer address in a request: an IP literal and a port (names are not resolved by the admin API). */
export const peerSchema = z.string().regex(IP_PORT, "expected ip:port (an IP literal: names are not resolved here)");
/** A node id in a request: 40 hex digits, either case. */
export const nodeIdSchema = z.string().regex(/^[0-9a-fA-F]{40}$/, "expected a node id (40 hex digits)");
const jsonValue = z.union([
  z.string(),
  z.number().finite(),
  z.boolean(),
  z.object({ bigint: z.string().regex(/^-?\d{1,30}$/) }).strict(),
  z.object({ base64: z.string().base64() }).strict(),
]);
const dhtKey = z.object({ key: z.string().min(1).max(512) });
const putBody = z.object({ value: jsonValue }).strict();
const refreshBody = z.object({ buckets: z.enum(["all", "stale"]).default("all") }).strict();
const isolateBody = z.object({
  ids: z.array(nodeIdSchema).min(1).max(1000),
  /** Also put the ids on the node's deny list, so that they stay out (refresh and lookups do not bring them back). */
  block: z.boolean().optional(),
})
  .strict();
const fallbackBody = z.object({ peers: z.array(peerSchema).min(1).max(64).optional() }).strict();

/**
 * The endpoints about one node: reads `status`, `network-status` (legacy shape), `routing-table`,
 * `dht/:key`; `PUT dht/:key` and the ops `refresh` (buckets by lookup), `isolate` (drop contacts, and with `block`
 * keep them out) and `fallback` (rejoin through the fallback bootstrap nodes). The app they are mounted in guards the mutations
 * ({@linkcode adminApp}'s access control).
 */
export function nodeRoutes(options: NodeRoutesOptions) {
  const { pick } = options;
  // Per route, not app.use("*"): mounted at "/", a catch-all would also limit the host's control endpoints.
  const guard = [limitBody(NODE_BODY_LIMIT_BYTES)] as const;
  return new Hono()
    .get("/status", (c) => c.json(nodeStatus(pick(c))))
    .get("/network-status", (c) => c.json(networkStatus(pick(c).node)))
    .get("/routing-table", (c) => c.json(routingTable(pick(c))))
    .get("/dht/:key", valid("param", dhtKey), async (c) => {
      const { node } = pick(c);
      const { key } = c.req.valid("param");
      const value = await node.get(key, { signal: c.req.raw.signal });
      if (value === undefined) throw new NotFoundError(`No value under ${key}`);
      return c.json({ key, value: toJsonValue(value) });
    })
    .put("/dht/:key", ...guard, valid("param", dhtKey), valid("json", putBody), async (c) => {
      const { node } = pick(c);
      const { key } = c.req.valid("param");
      const { replicas, asked } = await node.set(key, fromJsonValue(c.req.valid("json").value), {
        signal: c.req.raw.signal,
      });
      return c.json({ key, replicas, asked });
    })
    .post("/ops/refresh", ...guard, valid("json", refreshBody), async (c) => {
      return c.json(await refreshNode(pick(c).node, c.req.valid("json").buckets, c.req.raw.signal));
    })
    .post("/ops/isolate", ...guard, valid("json", isolateBody), (c) => {
      const { ids, block } = c.req.valid("json");
      return c.json(isolateOnNode(pick(c).node, ids, block ?? false));
    })
    .post("/ops/fallback", ...guard, valid("json", fallbackBody), async (c) => {
      const { node } = pick(c);
      const peers = c.req.valid("json").peers?.map(parsePeer) ?? options.fallbackPeers ?? [];
      if (peers.length === 0) throw new ConflictError("No fallback bootstrap nodes are configured");
      return c.json(
        await rejoinNode(node, peers, c.req.raw.signal).catch((error) => {
          throw new HTTPException(502, { message: error.message, cause: error });
        }),
      );
    });
}

/** What `GET …/status` tells of a node. */
function nodeStatus({ name, node, bootstrap, services }: AdminNode) {
  const { stats } = node.transport;
  return {
    name,
    id: node.id.hex,
    role: node.role,
    address: formatPeer(node.address),
    contacts: node.table.size,
    parameters: {
      alpha: node.alpha,
      k: node.table.k,
      rpcTimeoutMs: node.rpcTimeoutMs,
      refreshIntervalS: node.refreshIntervalS,
    },
    values: { held: node.records.size },
    transport: { ...stats.requests(), pending: node.transport.pendingCount },
    ...(bootstrap ? { bootstrap: bootstrap.info() } : {}),
    ...(services ? { services: services.summary() } : {}),
  };
}

/** What `GET …/routing-table` lists: every bucket with its range, every contact, and the ids it blocks. */
function routingTable({ node }: AdminNode) {
  const hex = (value: bigint) => value.toString(16).padStart(40, "0");
  return {
    node_id: node.id.hex,
    k: node.table.k,
    size: node.table.size,
    buckets: node.table.buckets().map((b, index) => ({
      index,
      lo: hex(b.lo),
      hi: hex(b.hi - 1n),
      depth: b.depth,
      size: b.size,
      replacements: b.replacements,
      lastUpdatedMs: b.lastUpdatedMs,
    })),
    contacts: node.table.contacts().map((c) => ({ id: c.id.hex, host: c.host, port: c.port })),
    blocked: node.table.blocked(),
  };
}
