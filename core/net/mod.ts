/**
 * Networking of a cqkd node: the legacy-compatible wire frame, the UDP transport with request/response
 * correlation and timeouts, the RPC registry and addresses.
 *
 * @module
 */
export * from "./address_validation.ts";
export * from "./envelope.ts";
export * from "./fault_injection.ts";
export * from "./latency_window.ts";
export * from "./msgpack_depth.ts";
export * from "./msgpack_float.ts";
export * from "./peer.ts";
export * from "./rpc_errors.ts";
export * from "./rpc_registry.ts";
export * from "./rtt_estimator.ts";
export * from "./stats.ts";
export * from "./udp_transport.ts";
export * from "./wire.ts";
export * from "./resolve.ts";
