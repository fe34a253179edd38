/**
 * The networked key exchange: Alice's and Bob's session state machines (the 19 steps of docs/key-exchange.md, then QBER
 * estimation, Cascade, privacy amplification and confirmation), their wire messages, the sealed point-to-point
 * messenger and the inbox where role data waits.
 *
 * @module
 */
export * from "./alice.ts";
export * from "./bob.ts";
export * from "./errors.ts";
export * from "./inbox.ts";
export * from "./messages.ts";
export * from "./sealed_messenger.ts";
export * from "./steps.ts";
