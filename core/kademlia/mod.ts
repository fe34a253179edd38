/**
 * The Kademlia DHT core: 160-bit ids and XOR distance, the k-bucket routing table, iterative lookups, the value
 * store and the node that composes them over the legacy-compatible UDP protocol.
 *
 * @module
 */
export * from "./contact.ts";
export * from "./lookup.ts";
export * from "./lookup_state.ts";
export * from "./node.ts";
export * from "./node_id.ts";
export * from "./records.ts";
export * from "./routing_table.ts";
export * from "./value.ts";
export * from "./wire_types.ts";
export * from "./publications.ts";
export * from "./emitter.ts";
export * from "./signed_record.ts";
export * from "./signed_values.ts";
export * from "./store_policy.ts";
export * from "./store_refusals.ts";
export * from "./live_parameters.ts";
