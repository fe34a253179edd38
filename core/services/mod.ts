/**
 * The services attached to every node: adaptive parameters, health checks, adaptive refresh and discovery,
 * composed by {@linkcode attachNodeServices}.
 *
 * @module
 */
export * from "./diagnostics.ts";
export * from "./node_services.ts";
export * from "./parameters.ts";
