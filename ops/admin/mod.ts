/**
 * The admin HTTP API every cqkd process serves (docs/admin-api.md): {@linkcode adminApp} composes one Hono sub-app per
 * resource (nodes, bootstrap load balancer, metrics) over a {@linkcode NodeDirectory}, behind one access-control
 * gate (tokens with read or write scope, per-client rate limits, an audit line per mutation), with body limits and
 * JSON errors.
 *
 * @module
 */
export * from "./access_control.ts";
export * from "./access_settings.ts";
export * from "./access_tokens.ts";
export * from "./admin_app.ts";
export * from "./bootstrap_routes.ts";
export * from "./errors.ts";
export * from "./metrics_routes.ts";
export * from "./middleware.ts";
export * from "./network_status.ts";
export * from "./node_directory.ts";
export * from "./node_ops.ts";
export * from "./node_routes.ts";
export * from "./parameter_routes.ts";
export * from "./rate_limit.ts";
export * from "./validation.ts";
