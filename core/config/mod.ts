/**
 * Settings of a cqkd process: a schema with one descriptor per setting, layered loading with the precedence
 * defaults < YAML config file < environment < command-line flags, and {@linkcode ConfigError}s that name the field,
 * the bad value, its source and what is allowed.
 *
 * @example
 * ```ts
 * import { loadSettings } from "./mod.ts";
 * const settings = await loadSettings({ env: { BOOTSTRAP_NODES: "sb-primary:5678" } });
 * console.assert(settings.bootstrap_nodes[0] === "sb-primary:5678");
 * ```
 *
 * @module
 */
export * from "./describe.ts";
export * from "./errors.ts";
export * from "./field.ts";
export * from "./load.ts";
export * from "./schema.ts";
export * from "./node_options.ts";
