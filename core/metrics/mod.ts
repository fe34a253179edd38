/**
 * Prometheus metrics of a cqkd process: every metric family defined in one place ({@linkcode METRICS}), and
 * {@linkcode CqkdMetrics}, a registry of its own with typed recording methods and state read from the process's
 * nodes at each scrape. Served at `/metrics`; the alert rules and dashboards in `compose/monitoring/` use these names.
 *
 * @example Metrics of a host of nodes
 * ```ts
 * import { NodeHost } from "../host.ts";
 * import { CqkdMetrics } from "./mod.ts";
 * await using host = new NodeHost();
 * host.start({ role: "super-bootstrap" });
 * const metrics = new CqkdMetrics();
 * metrics.observe(host);
 * console.assert((await metrics.render()).includes('cqkd_nodes{role="super-bootstrap"} 1'));
 * ```
 *
 * @module
 */
export * from "./cqkd_metrics.ts";
export * from "./definitions.ts";
export * from "./node_hooks.ts";
export * from "./scrape_targets.ts";
export * from "./source.ts";
