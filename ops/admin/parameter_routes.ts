import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import {
  PARAMETER_GROUPS,
  type ParameterChange,
  ParameterError,
  type ParameterGroup,
  type ParameterSpec,
  readParameters,
  ServiceOffError,
  TUNABLE_PARAMETERS,
  tuneParameters,
} from "../../core/services/mod.ts";
import { limitBody } from "./middleware.ts";
import type { AdminNode, NodeDirectory } from "./node_directory.ts";
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

/** A node's answer to a change: its name and id, the group, and the group's parameters after it. */
function tuned(entry: AdminNode, group: ParameterGroup, change: ParameterChange) {
  return { name: entry.name, id: entry.node.id.hex, group, ...tuneParameters(entry, group, change) };
}

/** A node's parameters of every group, with its name and id. */
function parametersOf(entry: AdminNode) {
  return { name: entry.name, id: entry.node.id.hex, ...readParameters(entry) };
}

/** The change a validated body asks for. Parsed from JSON, `set` has no undefined entries. */
function changeOf(body: z.infer<typeof changeBody>): { group: ParameterGroup; change: ParameterChange } {
  return { group: body.group, change: { set: body.set as Record<string, number>, reset: body.reset } };
}

/** The HTTP error of a change refused: 400 names the bad parameter, 409 says the service is off. */
function refusal(error: unknown): unknown {
  if (error instanceof ParameterError) return new HTTPException(400, { message: error.message, cause: error });
  if (error instanceof ServiceOffError) return new HTTPException(409, { message: error.message, cause: error });
  return error;
}

/**
 * `GET /nodes/:id/parameters`: a node's tunable parameters in force, by group (kademlia, health-check, refresh).
 * `PATCH /nodes/:id/parameters` `{group, set: {name: value}, reset?}`: changes them live (`cqkd tune --node`);
 * kademlia values are pinned against the adaptive analyses until a `reset`. A mutation: the admin app's gate wants a
 * write token and audits it. 400 names a bad field, 409 means the group's service is off on the node.
 */
export function parameterRoutes(pick: (c: Context) => AdminNode) {
  return new Hono()
    .get("/", (c) => c.json(parametersOf(pick(c))))
    .patch("/", limitBody(PARAMETERS_BODY_LIMIT_BYTES), valid("json", changeBody), (c) => {
      const { group, change } = changeOf(c.req.valid("json"));
      try {
        return c.json(tuned(pick(c), group, change));
      } catch (error) {
        throw refusal(error);
      }
    });
}

/**
 * `GET /parameters` and `PATCH /parameters`: the same for every node of the process at once, one request and one
 * audit line whatever the number of nodes (`cqkd tune --all` sends one per host process; on a `cqkd node` process it
 * is its node's). Answers `{nodes: [...]}`, and `failed: [{name, error}]` for nodes that refused the change while
 * others took it; when every node refuses, the first refusal is the answer.
 */
export function processParameterRoutes(directory: NodeDirectory) {
  return new Hono()
    .get("/", (c) => c.json({ nodes: [...directory.list()].map(parametersOf) }))
    .patch("/", limitBody(PARAMETERS_BODY_LIMIT_BYTES), valid("json", changeBody), (c) => {
      const { group, change } = changeOf(c.req.valid("json"));
      const nodes: Array<ReturnType<typeof tuned>> = [];
      const failed: Array<{ name: string; error: unknown }> = [];
      for (const entry of directory.list()) {
        try {
          nodes.push(tuned(entry, group, change));
        } catch (error) {
          failed.push({ name: entry.name, error: refusal(error) });
        }
      }
      if (nodes.length === 0 && failed.length > 0) throw failed[0]!.error;
      return c.json({
        nodes,
        ...(failed.length > 0
          ? { failed: failed.map((f) => ({ name: f.name, error: (f.error as Error).message })) }
          : {}),
      });
    });
}
