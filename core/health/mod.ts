/**
 * Health checks: fast (ping), medium (ping, find_node, store/get) and deep (the full DHT suite) checks
 * of a node's contacts, a health manager that spreads them over time and acts on failures, and a registry with
 * each contact's status and history.
 *
 * @module
 */
export * from "./check_budget.ts";
export * from "./checks.ts";
export * from "./health_levels.ts";
export * from "./health_manager.ts";
export * from "./liveness_policy.ts";
export * from "./loss_window.ts";
export * from "./registry.ts";
