import { toYaml } from "./_yaml.ts";
import {
  ADMIN_PORT,
  DEFAULT_IMAGE,
  LIVE_PROBE,
  nodeCommand,
  nodeEnvironment,
  READY_PROBE,
  RUN_AS,
  STATE_DIR,
  TMPFS_MB,
} from "./container.ts";
import {
  type DeployedNode,
  type DeployTier,
  GATED_BY,
  type Resources,
  TIER_RESOURCES,
  type Topology,
} from "./topology.ts";
import { IDENTITY_DIR, identityFile, SECRETS_DIR, trustEnvFile } from "./keygen_trust.ts";
import { KEYGEN_ROLES, type KeygenRole } from "../../roles/keygen/role_certificate.ts";

/** The bridge network every service is on. */
export const NETWORK = { name: "cqkd-network", subnet: "172.20.0.0/16", dynamicRange: "172.20.128.0/17" } as const;

/**
 * Fixed addresses: the third octet of each tier's block (`172.20.1.x` super, … `172.20.4.x` Alice and Bob).
 * Replicated workers take theirs from the dynamic range, which these blocks stay out of.
 */
const ADDRESS_BLOCK: Readonly<Record<Exclude<DeployTier, "worker">, number>> = {
  "super": 1,
  "regional": 2,
  "local": 3,
  "alice-bob": 4,
};

/** Host port of the admin API of Alice and Bob (published on 127.0.0.1 only: `POST /generate-key` lives there). */
const SIDE_ADMIN_PORTS: Readonly<Record<string, number>> = { alice: 8080, bob: 8081 };

/** Options of {@linkcode composeFile}. */
export interface ComposeOptions {
  /** Image of every service. @default {DEFAULT_IMAGE} */
  image?: string;
  /** The engine that runs the file: podman spells the owner of a tmpfs differently. @default "docker" */
  engine?: ComposeEngine;
  /**
   * The secrets directory of Alice's and Bob's trust (`cqkd compose generate` fills it: keygen_trust.ts), as the
   * file names it: relative to the compose file's directory. @default "./cqkd-secrets"
   */
  secretsDir?: string;
}

/** Container engines the compose file is written for. */
export const COMPOSE_ENGINES = ["docker", "podman"] as const;
export type ComposeEngine = typeof COMPOSE_ENGINES[number];

/** A compose file as a plain object (the compose specification's layout). */
export type ComposeFile = {
  services: Record<string, Record<string, unknown>>;
  networks: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};

/**
 * The Docker Compose deployment for a topology: one service per bootstrap node, Alice and Bob, and a
 * replicated worker service; each tier `depends_on` the tier above being healthy (super → regional → local →
 * workers, Alice and Bob after the regional tier); health checks that probe each node with `cqkd probe`; UDP ports
 * published for the named nodes; one bridge network with fixed addresses for the named nodes (which they
 * advertise); CPU and memory limits and reservations per tier; every container non-root, on a read-only root file
 * system with no capabilities, writing only to in-memory `/tmp` and state directory. Alice and Bob trust each other
 * through the secrets directory: each one's identity key mounted read-only where the node reads it (a compose
 * secret), and the authority's key and its role certificate from an env file; the file itself holds no key.
 */
export function composeFile(topology: Topology, options: ComposeOptions = {}): ComposeFile {
  const image = options.image ?? DEFAULT_IMAGE;
  const secretsDir = secretsDirOf(options);
  const services: ComposeFile["services"] = {};
  const nodesOf = (tier: DeployTier) => topology.tiers.find((t) => t.tier === tier)?.nodes ?? [];
  for (const { tier, nodes } of topology.tiers) {
    const above = GATED_BY[tier];
    nodes.forEach((node, index) => {
      // The later super nodes wait for the first, which starts the network.
      const gate = above ? nodesOf(above) : index === 0 ? [] : [nodes[0]!];
      services[node.name] = {
        ...service(node, topology, { image, engine: options.engine ?? "docker" }, gate, index),
        ...(node.role === "alice" || node.role === "bob" ? keygenTrust(node.role, secretsDir) : {}),
      };
    });
  }
  return {
    services,
    networks: {
      [NETWORK.name]: {
        name: NETWORK.name,
        driver: "bridge",
        ipam: { config: [{ subnet: NETWORK.subnet, ip_range: NETWORK.dynamicRange }] },
      },
    },
    secrets: Object.fromEntries(
      KEYGEN_ROLES.map((role) => [identitySecret(role), { file: `${secretsDir}/${identityFile(role)}` }]),
    ),
  };
}

/** The secrets directory as the file names it, without a trailing slash. */
const secretsDirOf = (options: ComposeOptions) => (options.secretsDir ?? `./${SECRETS_DIR}`).replace(/\/+$/, "");

const identitySecret = (role: KeygenRole) => `${role}-identity`;

/**
 * A side's trust: its identity key (a secret: bind-mounted read-only, never in the image or the file) where the node
 * reads it, and the public settings `KEYGEN_AUTHORITY_KEY` and `ROLE_CERTIFICATE` from the secrets directory.
 */
function keygenTrust(role: KeygenRole, secretsDir: string): Record<string, unknown> {
  return {
    env_file: [`${secretsDir}/${trustEnvFile(role)}`],
    secrets: [{ source: identitySecret(role), target: `${IDENTITY_DIR}/${identityFile(role)}` }],
  };
}

/** The compose file as YAML, with a header saying how it was made. */
export function composeYaml(topology: Topology, options: ComposeOptions = {}): string {
  const { superCount, regionalCount, localCount, workers } = topology.shape;
  const header = [
    "# CQKD network, Docker Compose (docs/deployment.md). Generated by:",
    `#   cqkd compose generate --workers ${workers} --super ${superCount} --regional ${regionalCount} ` +
    `--local ${localCount}${options.engine === "podman" ? " --engine podman" : ""}`,
    "# Do not edit: change the generator (ops/deploy/) and generate again. It also fills the secrets directory",
    `# ${secretsDirOf(options)} with Alice's and Bob's keys and certificates (docs/deployment.md, trust).`,
    options.engine === "podman"
      ? "# Build the image first: deno task image (cqkd image build), and see docs/containers.md"
      : "# Build the image first: docker build -f compose/Dockerfile -t cqkd:0.1.0 .",
  ];
  return `${header.join("\n")}\n${toYaml(composeFile(topology, options))}`;
}

function service(
  node: DeployedNode,
  topology: Topology,
  { image, engine }: Required<Pick<ComposeOptions, "image" | "engine">>,
  gate: DeployedNode[],
  index: number,
): Record<string, unknown> {
  const fixed = node.tier === "worker" ? undefined : fixedAddress(node.tier, index);
  const environment = {
    ...nodeEnvironment(node, topology, { seeds: node.seeds, supers: topology.supers }),
    ...(fixed ? { ADVERTISE_HOST: fixed } : {}),
    // Taken from the shell running docker compose: empty means mutations refused, and plaintext datagrams.
    ADMIN_TOKEN: "${CQKD_ADMIN_TOKEN:-}",
    CQKD_CLUSTER_KEY: "${CQKD_CLUSTER_KEY:-}",
  };
  const sideAdmin = SIDE_ADMIN_PORTS[node.name];
  return {
    image,
    command: nodeCommand(node),
    environment,
    ...(node.replicas === 1
      ? { ports: [`${node.port}:${node.port}/udp`, ...(sideAdmin ? [`127.0.0.1:${sideAdmin}:${ADMIN_PORT}/tcp`] : [])] }
      : {}),
    expose: [`${node.port}/udp`, `${ADMIN_PORT}/tcp`],
    networks: { [NETWORK.name]: fixed ? { ipv4_address: fixed } : {} },
    ...(gate.length > 0
      ? { depends_on: Object.fromEntries(gate.map((n) => [n.name, { condition: "service_healthy" }])) }
      : {}),
    healthcheck: {
      // Workers are many and nothing waits for them: a slower check spares the host 1000 probes every 10 s.
      test: ["CMD", ...(node.tier === "worker" ? LIVE_PROBE : READY_PROBE)],
      interval: node.tier === "worker" ? "60s" : "10s",
      // A check starts a `cqkd probe` process in the container, under its CPU limit (a quarter of a core for the
      // smallest): seen taking 6 to 11 s on a loaded 2-core host, where a 5 s timeout turned healthy nodes unhealthy.
      timeout: "15s",
      retries: 3,
      start_period: "30s",
    },
    restart: "unless-stopped",
    ...hardening(engine),
    deploy: {
      ...(node.replicas === 1 ? {} : { replicas: node.replicas }),
      resources: resources(node.tier),
    },
  };
}

/**
 * Non-root, read-only root file system, no capabilities, no privilege gain; only /tmp and the state are writable,
 * owned by the node's user. Docker passes `uid`/`gid` to the tmpfs mount; podman refuses them and has `U` instead
 * (chown to the container's user, who is the same {@linkcode RUN_AS}).
 */
function hardening(engine: ComposeEngine): Record<string, unknown> {
  const owner = engine === "podman" ? "U" : `uid=${RUN_AS},gid=${RUN_AS}`;
  return {
    user: `${RUN_AS}:${RUN_AS}`,
    read_only: true,
    cap_drop: ["ALL"],
    security_opt: ["no-new-privileges:true"],
    tmpfs: [
      `${STATE_DIR}:size=${TMPFS_MB.state}m,${owner},mode=0700`,
      `/tmp:size=${TMPFS_MB.tmp}m,${owner},mode=1777`,
    ],
  };
}

function resources(tier: DeployTier): Record<string, unknown> {
  const { limits, reservations } = TIER_RESOURCES[tier];
  const format = ({ memoryMb, cpus }: Resources["limits"]) => ({
    cpus: String(cpus),
    memory: `${memoryMb}M`,
  });
  return { limits: format(limits), reservations: format(reservations) };
}

function fixedAddress(tier: Exclude<DeployTier, "worker">, index: number): string {
  return `172.20.${ADDRESS_BLOCK[tier]}.${index + 1}`;
}
