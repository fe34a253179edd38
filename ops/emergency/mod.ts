/**
 * The emergency procedures of the local cluster (docs/operations.md#emergency): `detect` scans for
 * problems and says which procedure each calls for, `isolate` takes nodes out of every routing table and keeps them
 * out, `fallback` rejoins every node through the static bootstrap list, `recover` restarts what is down and checks
 * the network, and `shutdown` stops everything at once, keeping the state for `recover`.
 *
 * @module
 */
export * from "./analysis.ts";
export * from "./detect.ts";
export * from "./emergency_cli.ts";
export * from "./emergency_shutdown.ts";
export * from "./fallback.ts";
export * from "./finding.ts";
export * from "./isolate.ts";
export * from "./knows_graph.ts";
export * from "./probe.ts";
export * from "./recover.ts";
