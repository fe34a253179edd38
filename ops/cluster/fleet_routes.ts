import { Hono } from "hono";
import { z } from "zod";
import { formatPeer, parsePeer } from "../../core/net/mod.ts";
import { isolateOnNode, limitBody, nodeIdSchema, peerSchema, refreshNode, rejoinNode, valid } from "../admin/mod.ts";
import type { Fleet, FleetNode } from "./fleet.ts";

/** What a host-wide operation did on one node: its outcome, or why it failed there. */
export type FleetOutcome<R> = ({ name: string; ok: true } & R) | { name: string; ok: false; error: string };

/** One node's routing table in brief, as `GET /fleet/routing-tables` lists it. */
export interface FleetTable {
  name: string;
  id: string;
  /** Ids of its contacts. */
  contacts: string[];
}

/** A cluster of thousands of ids and nodes fits; the control API's body limit bounds it in bytes anyway. */
const MANY = 100_000;
const names = z.array(z.string().min(1)).max(MANY).optional();
const isolateBody = z.object({ ids: z.array(nodeIdSchema).min(1).max(MANY), block: z.boolean().optional(), names })
  .strict();
const refreshBody = z.object({ buckets: z.enum(["all", "stale"]).default("all"), names }).strict();
const rejoinBody = z.object({ peers: z.array(peerSchema).min(1).max(64), names }).strict();

/**
 * The ops endpoints over every running node of a host process at once (or those named), mounted at `/fleet`:
 * `GET /routing-tables`, `POST /ops/isolate`, `/ops/refresh` and `/ops/rejoin`, each answering per node. They do
 * what `/nodes/:id/routing-table` and `/nodes/:id/ops/…` do, in one request per host instead of one per node: the
 * emergency procedures on a cluster of thousands of nodes, within the admin API's rate limits.
 */
export function fleetRoutes(fleet: Pick<Fleet, "running">, bodyLimitBytes: number) {
  const guard = [limitBody(bodyLimitBytes)] as const;
  const chosen = (only: readonly string[] | undefined) =>
    fleet.running().filter((n) => only === undefined || only.includes(n.name));
  return new Hono()
    .get("/routing-tables", (c) =>
      c.json(
        fleet.running().map(({ name, node }): FleetTable => ({
          name,
          id: node.id.hex,
          contacts: node.table.contacts().map((contact) => contact.id.hex),
        })),
      ))
    .post("/ops/isolate", ...guard, valid("json", isolateBody), (c) => {
      const { ids, block, names } = c.req.valid("json");
      return c.json(
        chosen(names).map(({ name, node }) => ({ name, ok: true, ...isolateOnNode(node, ids, block ?? false) })),
      );
    })
    .post("/ops/refresh", ...guard, valid("json", refreshBody), async (c) => {
      const { buckets, names } = c.req.valid("json");
      return c.json(await onEach(chosen(names), (node) => refreshNode(node, buckets, c.req.raw.signal)));
    })
    .post("/ops/rejoin", ...guard, valid("json", rejoinBody), async (c) => {
      const { peers, names } = c.req.valid("json");
      // A node of the list rejoins through the others; one that is the whole list has nothing to rejoin through.
      const through = (node: FleetNode["node"]) => peers.filter((p) => p !== formatPeer(node.address)).map(parsePeer);
      const rejoining = chosen(names).filter(({ node }) => through(node).length > 0);
      return c.json(await onEach(rejoining, (node) => rejoinNode(node, through(node), c.req.raw.signal)));
    });
}

/** Runs an operation on every node at once and reports each outcome. */
async function onEach<R extends object>(
  nodes: readonly FleetNode[],
  operation: (node: FleetNode["node"]) => Promise<R>,
): Promise<FleetOutcome<R>[]> {
  const settled = await Promise.allSettled(nodes.map(({ node }) => operation(node)));
  return settled.map((result, i): FleetOutcome<R> => {
    const name = nodes[i]!.name;
    return result.status === "fulfilled"
      ? { name, ok: true, ...result.value }
      : { name, ok: false, error: (result.reason as Error).message };
  });
}
