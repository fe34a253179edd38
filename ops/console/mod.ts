/**
 * The web console every cqkd process serves on its admin port (`/console`): overview, nodes, key exchanges and
 * operations, rendered on the server with Hono's JSX and refreshed in place by a small script. A host process of
 * the local cluster shows the whole cluster ({@linkcode ClusterBackend}); a `cqkd node` process its node
 * ({@linkcode NodeBackend}).
 *
 * @module
 */
export * from "./alerts.ts";
export * from "./cluster_backend.ts";
export * from "./history.ts";
export * from "./node_backend.ts";
export * from "./routes.tsx";
export * from "./source.ts";
export * from "./summary.ts";
export * from "./traffic.ts";
export * from "./url.ts";
export * from "./console_cli.ts";
