/**
 * Configuration backup and restore: {@linkcode backupConfig} bundles the configuration in force (config
 * file, tokens file, key files) into one checksummed file; {@linkcode restoreConfig} validates all of it before it
 * writes anything.
 *
 * @module
 */
export * from "./backup.ts";
export * from "./config_bundle.ts";
export * from "./restore.ts";
