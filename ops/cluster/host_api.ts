import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { NODE_ROLES } from "../../roles/mod.ts";
import type { Fleet } from "./fleet.ts";
import { keygenRoute } from "./keygen_route.ts";
import { TIERS } from "./plan.ts";

const address = z.string().regex(/^[^\s]+:\d{1,5}$/, "expected host:port");
const nodeSpec = z.object({
  name: z.string().min(1).max(100),
  role: z.enum(NODE_ROLES),
  port: z.number().int().min(0).max(65535),
  region: z.string().max(100),
  parent: address.optional(),
  seeds: z.array(z.object({ address, tier: z.enum(TIERS) })).max(16),
  fallback: z.array(address).max(64),
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
  /** Bearer token that every mutating request must carry. */
  token: string;
  /** Called by POST /shutdown after the answer is sent. */
  onShutdown: () => void;
}

/**
 * The control API of a host process, served on 127.0.0.1: what `cqkd startup`, `status`, `verify` and `shutdown`
 * use to drive the nodes of the process. Reads are open; every mutation needs the cluster's bearer token.
 */
export function hostApp(fleet: Fleet, options: HostAppOptions): Hono {
  const app = new Hono();
  const auth = bearerAuth({ token: options.token });
  // A start request for thousands of nodes is well under 4 MiB; anything larger is a mistake or an attack.
  app.use("*", bodyLimit({ maxSize: 4 * 1024 * 1024 }));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message || "Request refused" }, error.status);
    if (error instanceof RangeError) return c.json({ error: error.message }, 409);
    return c.json({ error: `Internal error: ${error.message}` }, 500);
  });
  app.notFound((c) => c.json({ error: `No such endpoint: ${c.req.method} ${c.req.path}` }, 404));

  app.get("/health", (c) => c.json({ host: options.name, pid: Deno.pid, roles: fleet.countsByRole() }));
  app.get("/nodes", (c) => c.json(fleet.statuses()));
  app.get("/leases", (c) => c.json(fleet.leaseHolders()));
  app.get("/ports/conflicts", (c) => c.json(fleet.portConflicts()));
  app.post("/nodes", auth, zValidator("json", startBody, invalidBody), (c) => {
    const { nodes } = c.req.valid("json");
    fleet.start(nodes);
    return c.json({ accepted: nodes.length }, 202);
  });
  app.post("/nodes/stop", auth, zValidator("json", stopBody, invalidBody), async (c) => {
    const match = c.req.valid("json");
    return c.json({ stopped: await fleet.stop(match) });
  });
  app.post("/bootstrap/announce", auth, zValidator("json", announceBody, invalidBody), async (c) => {
    await fleet.announce(c.req.valid("json").role);
    return c.json({ announced: true });
  });
  app.post("/find", auth, zValidator("json", findBody, invalidBody), async (c) => {
    const { from, ids } = c.req.valid("json");
    return c.json(await fleet.findAll(from, ids, { signal: c.req.raw.signal }));
  });
  app.route("/keygen", keygenRoute(fleet, options.token));
  app.post("/shutdown", auth, (c) => {
    queueMicrotask(options.onShutdown);
    return c.json({ stopping: true }, 202);
  });
  return app;
}

/** Answers a body that fails validation with 400 and the first problem, naming its field. */
function invalidBody(
  result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } },
  c: { json: (body: unknown, status: 400) => Response },
): Response | undefined {
  if (result.success) return undefined;
  const issue = result.error?.issues[0];
  const field = issue?.path.map(String).join(".") || "body";
  return c.json({ error: `Invalid request body: ${field}: ${issue?.message ?? "malformed"}` }, 400);
}
