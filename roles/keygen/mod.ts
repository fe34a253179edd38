/**
 * The networked key exchange: Alice's and Bob's session state machines (the 19 steps of docs/key-exchange.md, then QBER
 * estimation, Cascade, privacy amplification and confirmation), their wire messages, the signed and sealed
 * point-to-point messenger, the session channel that binds every message to its session, sender and sequence, the
 * trust policy for the peer (docs/key-exchange-security.md), and the inbox where role data waits for its sender.
 *
 * @module
 */
export * from "./alice.ts";
export * from "./batch_plan.ts";
export * from "./bob.ts";
export * from "./errors.ts";
export * from "./inbox.ts";
export * from "./messages.ts";
export { decodeRoleData, encodeRoleData } from "./role_data.ts";
export * from "./peer_trust.ts";
export * from "./rejections.ts";
export * from "./role_certificate.ts";
export * from "./sealed_messenger.ts";
export * from "./session_channel.ts";
export * from "./session_ids.ts";
export * from "./steps.ts";
export * from "./worker_exposure.ts";
export * from "./worker_pool.ts";
