/**
 * The cqkd container image built on this machine with podman (no registry, no `deno compile` download), and running
 * the generated compose file on podman: the engine's settings, the root file system, the build, a health-check
 * runner for machines without systemd, and `cqkd image build|healthchecks`.
 *
 * @module
 */
export * from "./engine.ts";
export * from "./preflight.ts";
export * from "./ldd.ts";
export * from "./rootfs.ts";
export * from "./build.ts";
export * from "./healthchecks.ts";
export * from "./compose_stack.ts";
export * from "./image_cli.ts";
