/**
 * The audit log: JSON lines of every admin API mutation (refused ones included) and every ops procedure
 * the CLI runs, appended by several processes at once; {@linkcode audited} wraps a CLI procedure.
 *
 * @module
 */
export * from "./audit_log.ts";
export * from "./procedure.ts";
