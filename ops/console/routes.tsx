/**
 * The console's HTTP routes. `consolePages` serves the pages (shells without data, and their stylesheet and
 * script): the admin app mounts them in front of its access control, as it does /health, because a browser cannot
 * send a bearer token when it opens a page. `consoleApi` serves everything with data under /console/api behind
 * the access control: fragments and JSON are reads (a read token once one is configured), actions are mutations (a
 * write token, and an audit line each).
 */
import { Hono } from "hono";
import { z } from "zod";
import { nodeDiagnostics } from "../../core/services/mod.ts";
import { ConflictError, NotFoundError } from "../admin/errors.ts";
import { findNode, type NodeDirectory } from "../admin/node_directory.ts";
import { valid } from "../admin/validation.ts";
import { CommandError } from "../exit_codes.ts";
import { CONSOLE_CSS, CONSOLE_JS } from "./assets.ts";
import type { ConsoleData, OperationResult } from "./source.ts";
import { KeysFragment, SessionResult } from "./views/keys.tsx";
import { KeysPage, NodePage, NodesPage, OperationsPage, OverviewPage } from "./views/layout.tsx";
import { NodeFragment } from "./views/node.tsx";
import { NODE_SORTS, NodesFragment, type NodeSort, selectNodes } from "./views/nodes.tsx";
import { OperationFragment } from "./views/operations.tsx";
import { OverviewFragment } from "./views/overview.tsx";

/** How often the pages refresh their data by default. */
export const DEFAULT_REFRESH_MS = 2000;

/** What the console's pages may load: their own stylesheet and script (inline style attributes: the charts' colours). */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The console's pages and assets (mounted at "/": `/` leads to `/console`). */
export function consolePages(options: { scope: "cluster" | "node"; refreshMs?: number }): Hono {
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const app = new Hono();
  // The pages run only their own script and may not be framed: an injected fragment could not run code.
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("content-security-policy", PAGE_POLICY);
    c.res.headers.set("x-frame-options", "DENY");
    c.res.headers.set("referrer-policy", "no-referrer");
  });
  const asset = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } });
  app.get("/", (c) => c.redirect("/console"));
  app.get("/console", (c) => c.html(<OverviewPage refreshMs={refreshMs} />));
  app.get("/console/nodes", (c) => c.html(<NodesPage refreshMs={refreshMs} />));
  app.get("/console/nodes/:name", (c) => c.html(<NodePage name={c.req.param("name")} refreshMs={refreshMs} />));
  app.get("/console/keys", (c) => c.html(<KeysPage refreshMs={refreshMs} />));
  app.get("/console/operations", (c) => c.html(<OperationsPage refreshMs={refreshMs} scope={options.scope} />));
  app.get("/console/assets/console.css", asset(CONSOLE_CSS, "text/css; charset=utf-8"));
  app.get("/console/assets/console.js", asset(CONSOLE_JS, "text/javascript; charset=utf-8"));
  return app;
}

const nodesQuery = z.object({
  q: z.string().max(200).default(""),
  sort: z.enum(Object.keys(NODE_SORTS) as [NodeSort, ...NodeSort[]]).default("name"),
  dir: z.enum(["asc", "desc"]).default("asc"),
});
const keysQuery = z.object({ session: z.string().regex(/^[0-9a-f]{16}$/).optional() });
const keygenBody = z.object({
  bits: z.coerce.number().int().min(1).max(65_536),
  noise: z.coerce.number().min(0).max(1).default(0),
  eve: z.coerce.number().min(0).max(1).default(0),
});
const tuneBody = z.object({
  group: z.string().max(40),
  assignments: z.string().max(2000).default(""),
  reset: z.boolean().default(false),
});
const isolateBody = z.object({ targets: z.string().min(1).max(10_000) });

/** What {@linkcode consoleApi} reads and acts through. */
export interface ConsoleApiOptions {
  data: ConsoleData;
  /** The nodes of this process (for the traffic and diagnoses other host processes ask for). */
  nodes: NodeDirectory;
}

/** The console's data and actions (mounted at `/console/api`, behind the admin API's access control). */
export function consoleApi({ data, nodes }: ConsoleApiOptions): Hono {
  const app = new Hono();
  // The server's time for a refresh (gathering and rendering), for the browser's devtools and bench:console.
  const timed = (started: number) => ({ "server-timing": `total;dur=${(performance.now() - started).toFixed(1)}` });

  app.get("/overview", async (c) => {
    const started = performance.now();
    const body = await (<OverviewFragment data={await data.overview()} />).toString();
    return c.html(body, 200, timed(started));
  });
  app.get("/overview.json", async (c) => {
    const started = performance.now();
    return c.json(await data.overview(), 200, timed(started));
  });
  app.get("/nodes", valid("query", nodesQuery), async (c) => {
    const { q, sort, dir } = c.req.valid("query");
    const all = await data.nodes();
    const shown = selectNodes(all, q, sort, dir === "desc");
    return c.html(<NodesFragment nodes={shown} total={all.length} sort={sort} descending={dir === "desc"} />);
  });
  app.get("/nodes/:name", async (c) => {
    const detail = await data.node(c.req.param("name"));
    if (detail === undefined) throw new NotFoundError(`No node named ${c.req.param("name")}`);
    return c.html(<NodeFragment detail={detail} />);
  });
  app.get("/keys", valid("query", keysQuery), async (c) => {
    const [sessions, pool] = await Promise.all([
      data.sessions(),
      data.backend.keyPool().catch(() => undefined),
    ]);
    const { session } = c.req.valid("query");
    return c.html(
      <KeysFragment sessions={sessions} {...(pool ? { pool } : {})} {...(session ? { selected: session } : {})} />,
    );
  });

  // What this process tells the console of another host process of its cluster.
  app.get("/summary", (c) => c.json(data.backend.localSummary()));
  app.get("/diagnostics/:name", (c) => {
    const entry = findNode(nodes, c.req.param("name"));
    if (entry === undefined) throw new NotFoundError(`No node ${c.req.param("name")} here`);
    return c.json(nodeDiagnostics(entry.node, entry.services));
  });

  // Actions. Diagnose changes nothing (a read); the others are mutations.
  app.get("/actions/diagnose", (c) => operation(c, "Diagnosis", () => data.backend.diagnose()));
  app.post("/actions/keygen", valid("json", keygenBody), async (c) => {
    const session = await failAsRequestError(() => data.keygen(c.req.valid("json")));
    return c.html(<SessionResult session={session} />);
  });
  app.post("/actions/tune", valid("json", tuneBody), (c) => {
    const { group, assignments, reset } = c.req.valid("json");
    return operation(c, "Tune", () => data.backend.tune(group, words(assignments), reset));
  });
  app.post("/actions/isolate", valid("json", isolateBody), (c) => {
    return operation(c, "Isolate", () => data.backend.isolate(words(c.req.valid("json").targets)));
  });
  app.post("/actions/recover", (c) => operation(c, "Recover", () => data.backend.recover()));
  return app;
}

function words(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

async function operation(
  c: { html(body: unknown): Response | Promise<Response> },
  title: string,
  run: () => Promise<OperationResult>,
): Promise<Response> {
  const result = await failAsRequestError(run);
  return await c.html(<OperationFragment title={title} result={result} />);
}

/** A procedure's "cannot do that" (no cluster, bad value) is the client's problem (409), not a server error. */
async function failAsRequestError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CommandError) throw new ConflictError(error.message, { cause: error });
    throw error;
  }
}
