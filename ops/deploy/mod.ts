/**
 * Deployment on many hosts: the topology of a network size, the Docker Compose file and the Kubernetes
 * manifests that run it in hardened containers, and the `cqkd compose|k8s generate` commands.
 *
 * @module
 */
export * from "./topology.ts";
export * from "./container.ts";
export * from "./compose_file.ts";
export * from "./k8s_manifests.ts";
export * from "./deploy_cli.ts";
