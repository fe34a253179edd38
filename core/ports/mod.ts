/**
 * Dynamic ports: a registry that hands out unique ports of a range by binding them for real, skips and
 * records ports held by other processes, and releases them when nodes stop.
 *
 * @module
 */
export * from "./port_registry.ts";
