/**
 * The monitoring stack of the local cluster: Prometheus and Alertmanager from their Debian packages, configured for
 * the cluster's targets file and the cqkd alert rules, and a small client of Prometheus's query API.
 *
 * @module
 */
export * from "./prometheus_client.ts";
export * from "./prometheus_config.ts";
export * from "./tools.ts";
export * from "./local_stack.ts";
