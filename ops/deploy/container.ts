import type { DeployedNode, Topology } from "./topology.ts";

/** Where the image puts the binary (`compose/Dockerfile`); the entrypoint, and what health checks run. */
export const BINARY = "/usr/local/bin/cqkd";

/** The unprivileged user and group every container runs as (created by `compose/Dockerfile`). */
export const RUN_AS = 10001;

/** The state directory (`state_dir`: node identity keys, audit log): the only writable path besides /tmp. */
export const STATE_DIR = "/var/lib/cqkd";

/** Port of every node's admin API (health, metrics) inside its container. */
export const ADMIN_PORT = 8080;

/** The image the deployment runs, as `docker build -f compose/Dockerfile -t cqkd:0.1.0 .` tags it. */
export const DEFAULT_IMAGE = "cqkd:0.1.0";

/** Sizes of the in-memory file systems, in MiB: the state directory and /tmp. */
export const TMPFS_MB = { state: 16, tmp: 16 } as const;

/** The arguments of a node's container (after the entrypoint): `cqkd node <role>`. */
export function nodeCommand(node: DeployedNode): string[] {
  return ["node", node.role];
}

/** Readiness: the node answers on its UDP port and its admin API serves /health. */
export const READY_PROBE = [BINARY, "probe", "--admin"];

/** Liveness: the node answers on its UDP port. */
export const LIVE_PROBE = [BINARY, "probe"];

/** Addresses as a deployment target names them: compose service names, or the DNS names of Kubernetes pods. */
export interface NodeAddresses {
  /** The node's bootstrap addresses, in flow order. */
  seeds: readonly string[];
  /** Every super bootstrap node (`super_bootstrap_nodes`, and the fallback of last resort). */
  supers: readonly string[];
}

/**
 * The environment of a node's container (its settings; every value a string): its port, tier, region, bootstrap
 * addresses and capacity; bound to every interface inside the container, with the admin API on
 * {@linkcode ADMIN_PORT} and the state in {@linkcode STATE_DIR}. The target adds what it knows better: the name of
 * a replicated node and the address it advertises (`ADVERTISE_HOST`), the admin token and the cluster key.
 */
export function nodeEnvironment(
  node: DeployedNode,
  topology: Topology,
  addresses: NodeAddresses,
): Record<string, string> {
  const { superCount, regionalCount, localCount, workers } = topology.shape;
  const tier = node.tier === "super" || node.tier === "regional" || node.tier === "local" ? node.tier : undefined;
  return {
    DHT_PORT: String(node.port),
    ...(node.replicas === 1 ? { NODE_NAME: node.name } : {}),
    ...(tier ? { BOOTSTRAP_LEVEL: tier } : {}),
    ...(node.region ? { REGION: node.region } : {}),
    // None for the first super node: it tries the other super nodes (a restarted one rejoins through them).
    ...(addresses.seeds.length > 0 ? { BOOTSTRAP_NODES: addresses.seeds.join(",") } : {}),
    ...(node.capacity === undefined ? {} : { MAX_CONNECTIONS: String(node.capacity) }),
    // Alice's admin API runs key exchanges with Bob, whom she finds by name (compose service, Kubernetes Service).
    ...(node.role === "alice" ? { BOB_ADDRESS: bobAddress(topology) } : {}),
    SUPER_BOOTSTRAP_NODES: addresses.supers.join(","),
    FALLBACK_BOOTSTRAP_NODES: addresses.supers.join(","),
    BIND_HOST: "0.0.0.0",
    ADMIN_HOST: "0.0.0.0",
    ADMIN_PORT: String(ADMIN_PORT),
    STATE_DIR,
    // One node per container, at its own address: the fixed port is unique there (the port registry is for many
    // nodes sharing one host).
    ENABLE_DYNAMIC_PORTS: "false",
    ENABLE_MULTI_LEVEL_BOOTSTRAP: "true",
    ENABLE_HEALTH_CHECK: "true",
    ENABLE_ADAPTIVE_KADEMLIA: "true",
    ENABLE_ADAPTIVE_REFRESH: "true",
    REGIONAL_BOOTSTRAP_COUNT: String(regionalCount),
    LOCAL_BOOTSTRAP_COUNT: String(localCount),
    TARGET_NODES: String(superCount + regionalCount + localCount + workers + 2),
  };
}

/** `name:port` of Bob: his compose service, or the headless Service in front of his pod. */
function bobAddress(topology: Topology): string {
  const bob = topology.tiers.flatMap((t) => t.nodes).find((n) => n.role === "bob")!;
  return `${bob.name}:${bob.port}`;
}
