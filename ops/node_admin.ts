import type { Hono } from "hono";
import type { Settings } from "../core/config/mod.ts";
import type { KademliaNode } from "../core/kademlia/mod.ts";
import type { CqkdMetrics } from "../core/metrics/mod.ts";
import { parsePeer } from "../core/net/mod.ts";
import { adminAccessFrom, adminApp, type AdminNode } from "./admin/mod.ts";
import { CommandError } from "./exit_codes.ts";

/** The admin API of a `cqkd node` process, listening. */
export interface NodeAdminServer {
  /** `http://host:port`. */
  url: string;
  shutdown(): Promise<void>;
}

/**
 * Serves the admin API of the one node of a `cqkd node` process on `admin_host:admin_port`, with the
 * node endpoints at the top level as the legacy nodes had them. `entry` is read on every request, so that a tier
 * service attached after joining shows up. `routes` are served beside them under the same access control (Alice's
 * key exchanges). Tokens, rate limits and the audit log come from the settings.
 * @throws {CommandError} when the admin port is taken or the address is not local
 * @throws {ConfigError} when the admin tokens file is unreadable or invalid
 */
export async function serveNodeAdmin(
  entry: () => AdminNode,
  settings: Settings,
  metrics: CqkdMetrics,
  onWarning: (message: string) => void = console.warn,
  routes?: Hono,
): Promise<NodeAdminServer> {
  const app = adminApp({
    name: settings.node_name || entry().node.role,
    nodes: { list: () => [entry()] },
    metrics,
    ...await adminAccessFrom(settings, { onAuditError: (error) => onWarning(error.message) }),
    fallbackPeers: settings.fallback_bootstrap_nodes.map(parsePeer),
  });
  if (routes !== undefined) app.route("/", routes);
  try {
    const server = Deno.serve(
      { hostname: settings.admin_host, port: settings.admin_port, onListen: () => {} },
      app.fetch,
    );
    return { url: `http://${settings.admin_host}:${server.addr.port}`, shutdown: () => server.shutdown() };
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable) {
      throw new CommandError(
        `Cannot serve the admin API on ${settings.admin_host}:${settings.admin_port}: ${(error as Error).message}`,
      );
    }
    throw error;
  }
}

/** A metrics source over one node. */
export function singleNode(node: KademliaNode) {
  return { nodes: () => [node], stats: () => node.transport.stats };
}
