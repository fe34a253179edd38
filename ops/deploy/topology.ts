import { DEFAULT_CAPACITY, DEFAULT_PORT, type NodeRole } from "../../roles/mod.ts";
import { type NodeSpec, planCluster, REGIONS, type Stage } from "../cluster/plan.ts";

/** How big a deployment is: the bootstrap tiers and the workers (Alice and Bob are always one each). */
export interface DeploymentShape {
  superCount: number;
  regionalCount: number;
  localCount: number;
  workers: number;
}

/** The default shape: 4 super, 16 regional and 64 local bootstrap nodes, 1000 workers. */
export const DEFAULT_SHAPE: Readonly<DeploymentShape> = {
  superCount: 4,
  regionalCount: 16,
  localCount: 64,
  workers: 1000,
};

/** A tier of a deployment, in startup order. */
export type DeployTier = Stage["tier"];

/**
 * The tier each tier waits for, healthy, before it starts (super → regional → local → workers); Alice and
 * Bob attach to regional nodes. The first super node waits for nothing, the other super nodes for the first.
 */
export const GATED_BY: Readonly<Record<DeployTier, DeployTier | undefined>> = {
  "super": undefined,
  "regional": "super",
  "local": "regional",
  "worker": "local",
  "alice-bob": "regional",
};

/** CPU and memory of one container: what it may use at most, and what the scheduler sets aside for it. */
export interface Resources {
  limits: { memoryMb: number; cpus: number };
  reservations: { memoryMb: number; cpus: number };
}

/**
 * Resources per tier. Super bootstrap nodes and workers as the legacy compose file gave them (512M/0.5 CPU,
 * 256M); regional and local ones in between, after their capacity (250 and 50 joiners); Alice and Bob run the key
 * exchange's post-processing (Cascade, privacy amplification) and get a whole CPU.
 */
export const TIER_RESOURCES: Readonly<Record<DeployTier, Resources>> = {
  "super": { limits: { memoryMb: 512, cpus: 0.5 }, reservations: { memoryMb: 256, cpus: 0.25 } },
  "regional": { limits: { memoryMb: 384, cpus: 0.4 }, reservations: { memoryMb: 192, cpus: 0.2 } },
  "local": { limits: { memoryMb: 256, cpus: 0.25 }, reservations: { memoryMb: 128, cpus: 0.1 } },
  "worker": { limits: { memoryMb: 256, cpus: 0.25 }, reservations: { memoryMb: 128, cpus: 0.05 } },
  "alice-bob": { limits: { memoryMb: 512, cpus: 1 }, reservations: { memoryMb: 256, cpus: 0.25 } },
};

/** The most workers: their containers take addresses from the dynamic half of the network (172.20.128.0/17). */
export const MAX_WORKERS = 30_000;

/** One service of the deployment: a node, or with `replicas` > 1 a template for that many alike nodes. */
export interface DeployedNode {
  /** Service name, also the host name other nodes resolve: `super-1`, `regional-east-1`, `local-1`, `worker`. */
  name: string;
  role: NodeRole;
  tier: DeployTier;
  /** UDP port, the same inside the container and published on the host. */
  port: number;
  region: string;
  /** Bootstrap addresses (`service:port`) in flow order: super, then regional, then local. */
  seeds: string[];
  /** Joiners admitted at once, for a bootstrap node. */
  capacity?: number;
  /** Identical containers of this service (1 for a named node). */
  replicas: number;
}

/** A deployment laid out: its tiers in startup order, each gated on the health of the one before. */
export interface Topology {
  shape: DeploymentShape;
  tiers: Array<{ tier: DeployTier; nodes: DeployedNode[] }>;
  /** `service:port` of every super bootstrap node (the `super_bootstrap_nodes` and fallback of every node). */
  supers: string[];
}

/**
 * Lays out the deployment (docs/deployment.md) for a shape: the bootstrap nodes as the local cluster's plan places them
 * (names, regions, ports 5678…, each node's line of the hierarchy as its seeds), with service names for addresses;
 * the workers as one replicated service seeded with the super and regional nodes, whose load balancers spread
 * them over the local bootstrap nodes; Alice and Bob under the first two regional nodes.
 * @throws {RangeError} for a count that is not a whole number in range, regional or local counts that do not
 * spread evenly over the regions, or bootstrap ports that run into Alice's (too many bootstrap nodes)
 */
export function planDeployment(shape: DeploymentShape): Topology {
  validateShape(shape);
  const plan = planCluster(
    { ...shape, workers: 0, workersPerHost: 1 },
    {
      bootstrapFirst: DEFAULT_PORT["super-bootstrap"],
      alice: DEFAULT_PORT.alice,
      bob: DEFAULT_PORT.bob,
      workerBase: 7000,
      workerMax: 7999,
    },
    [],
  );
  // The plan addresses nodes on 127.0.0.1 by port; a deployment reaches each at its service name.
  const specs = plan.stages.flatMap((stage) => stage.placements.flatMap((p) => p.nodes));
  const serviceAt = new Map(specs.map((node) => [`127.0.0.1:${node.port}`, `${node.name}:${node.port}`]));
  const deployed = (tier: DeployTier, node: NodeSpec): DeployedNode => ({
    name: node.name,
    role: node.role,
    tier,
    port: node.port,
    region: node.region,
    seeds: node.seeds.map((seed) => serviceAt.get(seed.address)!),
    ...(tier === "super" || tier === "regional" || tier === "local" ? { capacity: DEFAULT_CAPACITY[tier] } : {}),
    replicas: 1,
  });
  const tiers = plan.stages.map((stage) => ({
    tier: stage.tier,
    // A local cluster deals a tier over several host processes; a deployment lists it in port order.
    nodes: stage.placements.flatMap((p) => p.nodes.map((node) => deployed(stage.tier, node)))
      .sort((a, b) => a.port - b.port),
  }));
  const nodesOf = (tier: DeployTier) => tiers.find((t) => t.tier === tier)?.nodes ?? [];
  const addresses = (nodes: DeployedNode[]) => nodes.map((n) => `${n.name}:${n.port}`);
  const supers = addresses(nodesOf("super"));
  const worker: DeployedNode = {
    name: "worker",
    role: "worker",
    tier: "worker",
    port: 7000,
    region: "",
    seeds: [...supers, ...addresses(nodesOf("regional"))],
    replicas: shape.workers,
  };
  // Workers start after the local tier, before Alice and Bob (the plan's order).
  const sides = tiers.findIndex((t) => t.tier === "alice-bob");
  tiers.splice(sides, 0, { tier: "worker", nodes: [worker] });
  return { shape, tiers, supers };
}

function validateShape(shape: DeploymentShape): void {
  const counts: Array<[string, number, number, number]> = [
    ["--workers", shape.workers, 1, MAX_WORKERS],
    ["--super", shape.superCount, 1, 250],
    ["--regional", shape.regionalCount, REGIONS.length, 250],
    ["--local", shape.localCount, REGIONS.length, 250],
  ];
  for (const [flag, value, min, max] of counts) {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`Invalid ${flag} ${value}: expected a whole number from ${min} to ${max}`);
    }
  }
  for (const [flag, value] of [["--regional", shape.regionalCount], ["--local", shape.localCount]] as const) {
    if (value % REGIONS.length !== 0) {
      throw new RangeError(
        `Invalid ${flag} ${value}: expected a multiple of ${REGIONS.length}, the same number in each region ` +
          `(${REGIONS.join(", ")})`,
      );
    }
  }
}
