/**
 * What a node is for: its role (bootstrap tier, worker, Alice, Bob) and what each role implies. The tier
 * behaviour and the protocol roles register their RPCs and services here as they arrive.
 *
 * @module
 */
export * from "./role.ts";
export * from "./bootstrap/mod.ts";
