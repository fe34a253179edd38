/**
 * Adaptive Kademlia parameters (docs/network.md): a network-size estimator, a dynamics (churn) analyzer and a
 * routing-table analyzer drive alpha, k, timeout and refresh interval, applied live to a running node.
 *
 * @module
 */
export * from "./adaptive_kademlia.ts";
export * from "./dynamics.ts";
export * from "./network_size.ts";
export * from "./parameter_table.ts";
export * from "./table_analysis.ts";
