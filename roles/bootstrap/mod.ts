/**
 * The bootstrap tiers: super → regional → local bootstrap nodes that report their tier, region, load
 * and capacity, a load balancer that ranks them for a joiner, and the join flow with failover across tiers and a
 * fallback list. Bootstrap nodes sign their answers when asked; joiners with a trust policy (trusted keys, or an
 * authority's certificates) accept only signed answers.
 *
 * @module
 */
export * from "./answer_signer.ts";
export * from "./bootstrap_trust.ts";
export * from "./certificate.ts";
export * from "./directory.ts";
export * from "./info.ts";
export * from "./join.ts";
export * from "./join_error.ts";
export * from "./load_balancer.ts";
export * from "./protocol.ts";
export * from "./service.ts";
export * from "./tier.ts";
