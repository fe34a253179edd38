/**
 * The bootstrap tiers (SPEC §4): super → regional → local bootstrap nodes that report their tier, region, load
 * and capacity, a load balancer that ranks them for a joiner, and the join flow with failover across tiers and a
 * fallback list.
 *
 * @module
 */
export * from "./directory.ts";
export * from "./info.ts";
export * from "./join.ts";
export * from "./join_error.ts";
export * from "./load_balancer.ts";
export * from "./protocol.ts";
export * from "./service.ts";
export * from "./tier.ts";
