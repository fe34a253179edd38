import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import {
  PARAMETER_GROUPS,
  ParameterError,
  type ParameterGroup,
  type ParameterSpec,
  readParameters,
  ServiceOffError,
  TUNABLE_PARAMETERS,
  tuneParameters,
} from "../../core/services/mod.ts";
import { limitBody } from "./middleware.ts";
import type { AdminNode } from "./node_directory.ts";
import { valid } from "./validation.ts";

/** The largest body of a parameter change: a few names and numbers. */
const PARAMETERS_BODY_LIMIT_BYTES = 4096;

const bounded = ({ min, max, integer }: ParameterSpec) => (integer ? z.number().int() : z.number()).min(min).max(max);

/** A change of one group: only that group's parameters, each within its bounds. */
const groupChange = (group: ParameterGroup) => {
  const specs: Record<string, ParameterSpec> = TUNABLE_PARAMETERS[group];
  const values = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, bounded(spec).optional()]));
  return z.object({
    group: z.literal(group),
    set: z.object(values).strict().default({}),
    reset: z.boolean().default(false),
  }).strict();
};
const changeBody = z.discriminatedUnion(
  "group",
  PARAMETER_GROUPS.map(groupChange) as unknown as [
    ReturnType<typeof groupChange>,
    ...ReturnType<typeof groupChange>[],
  ],
);

/**
 * `GET …/parameters`: the tunable parameters in force on a node, by group (kademlia, health-check, refresh).
 * `PATCH …/parameters` `{group, set: {name: value}, reset?}`: changes them live (`cqkd tune`); kademlia values are
 * pinned against the adaptive analyses until a `reset`. A mutation: the admin app's gate wants a write token and
 * audits it. 400 names a bad field, 409 means the group's service is off on the node.
 */
export function parameterRoutes(pick: (c: Context) => AdminNode): Hono {
  const app = new Hono();
  app.get("/", (c) => {
    const entry = pick(c);
    return c.json({ name: entry.name, id: entry.node.id.hex, ...readParameters(entry) });
  });
  app.patch("/", limitBody(PARAMETERS_BODY_LIMIT_BYTES), valid("json", changeBody), (c) => {
    const entry = pick(c);
    const { group, set, reset } = c.req.valid("json");
    try {
      // Parsed from JSON, `set` has no undefined entries: absent parameters are absent keys.
      const values = set as Record<string, number>;
      return c.json({
        name: entry.name,
        id: entry.node.id.hex,
        group,
        ...tuneParameters(entry, group, { set: values, reset }),
      });
    } catch (error) {
      if (error instanceof ParameterError) throw new HTTPException(400, { message: error.message, cause: error });
      if (error instanceof ServiceOffError) throw new HTTPException(409, { message: error.message, cause: error });
      throw error;
    }
  });
  return app;
}
