import { Hono } from "hono";
import { z } from "zod";
import { NODE_ROLES } from "../../roles/mod.ts";
import { findNode, type NodeDirectory } from "./node_directory.ts";
import { valid } from "./validation.ts";
import { NotFoundError } from "./errors.ts";

const rankQuery = z.object({
  role: z.enum(NODE_ROLES).default("worker"),
  count: z.coerce.number().int().min(1).max(1000).optional(),
  /** The bootstrap node whose load balancer answers. @default the first of the process */
  via: z.string().min(1).max(100).optional(),
});

/**
 * `GET /bootstrap/nodes?role=&count=&via=`: the load balancer of a bootstrap node of this process — the bootstrap
 * nodes a joiner of `role` should use, best first (never a full or dead one).
 */
export function bootstrapRoutes(directory: NodeDirectory) {
  return new Hono()
    .get("/nodes", valid("query", rankQuery), (c) => {
      const { role, count, via } = c.req.valid("query");
      const entry = via === undefined
        ? [...directory.list()].find((e) => e.bootstrap !== undefined)
        : findNode(directory, via);
      if (entry?.bootstrap === undefined) {
        throw new NotFoundError(
          via === undefined ? "No bootstrap node runs in this process" : `No bootstrap node named ${via} here`,
        );
      }
      return c.json({ via: entry.name, role, nodes: entry.bootstrap.ranked(role, count) });
    });
}
