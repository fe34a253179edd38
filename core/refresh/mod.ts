/**
 * Adaptive refresh: event, scheduled and performance triggers refresh a node's buckets, with a strategy
 * (active / normal / maintenance) that follows the network dynamics, and refresh traffic counted apart.
 *
 * @module
 */
export * from "./performance_monitor.ts";
export * from "./refresh_manager.ts";
