/**
 * Discovery: finds live workers with the capabilities asked for, through a cache with TTL, size bound,
 * LRU eviction and hit-rate statistics, health-verified contacts and iterative lookups; plus the
 * `cqkd_capabilities` RPC by which nodes advertise their role and capabilities.
 *
 * @module
 */
export * from "./capabilities.ts";
export * from "./discovered_node.ts";
export * from "./discovery.ts";
export * from "./discovery_cache.ts";
