/**
 * `cqkd diagnose` and `cqkd tune` (docs/operations.md): diagnoses of the network, the
 * routing tables, the health checks, the performance and the ports of the local cluster or of one node reached over
 * UDP (by its `cqkd_diagnose` answer, or by legacy RPCs only for a legacy node), and the live tuning of the
 * Kademlia, health-check and refresh parameters through the admin API.
 *
 * @module
 */
export * from "./diagnose_cli.ts";
export * from "./diagnosis.ts";
export * from "./health_check.ts";
export * from "./legacy_table.ts";
export * from "./local_cluster.ts";
export * from "./network.ts";
export * from "./performance.ts";
export * from "./ports.ts";
export * from "./remote_node.ts";
export * from "./routing_table.ts";
export * from "./bucket_rows.ts";
export * from "./tune.ts";
