import { formatPeer } from "../../core/net/mod.ts";
import { formatRange, type PortRange, portRangeFor, splitRange } from "../../core/ports/mod.ts";
import type { NodeRole } from "../../roles/mod.ts";

/** The bootstrap tiers, top down. */
export const TIERS = ["super", "regional", "local"] as const;
export type TierName = typeof TIERS[number];

/** Regions the regional bootstrap nodes are spread over, in turn. */
export const REGIONS = ["east", "west", "north", "south"] as const;

/** How big a local cluster is and how it is cut into host processes. */
export interface ClusterShape {
  superCount: number;
  regionalCount: number;
  localCount: number;
  workers: number;
  /** Most worker nodes per host process. */
  workersPerHost: number;
}

/** Where a local cluster listens. */
export interface ClusterPorts {
  /** First bootstrap port: super, then regional, then local ports follow one another (5678-5761 by default). */
  bootstrapFirst: number;
  alice: number;
  bob: number;
  /** Worker ports: `base_port..max_port`, extended when the network needs more. */
  workerBase: number;
  workerMax: number;
}

/** A bootstrap address a node tries, in flow order, with its tier. */
export interface SeedSpec {
  address: string;
  tier: TierName;
}

/** One node to start, as a host process receives it. */
export interface NodeSpec {
  name: string;
  role: NodeRole;
  /** Fixed port; 0 for a worker, which gets one from its host's port registry. */
  port: number;
  region: string;
  /** For a bootstrap node below the super tier: the address of the bootstrap node above it. */
  parent?: string;
  /** Seeds of the bootstrap flow: its super, regional and local bootstrap (those that exist above it). */
  seeds: SeedSpec[];
  /** Last-resort addresses (`fallback_bootstrap_nodes`). */
  fallback: string[];
}

/** A host process: a name and, for worker hosts, the slice of the worker port range it allocates from. */
export interface HostPlan {
  name: string;
  workerPorts?: PortRange;
}

/** One startup step: nodes of one tier, spread over host processes. */
export interface Stage {
  tier: TierName | "worker" | "alice-bob";
  placements: Array<{ host: string; nodes: NodeSpec[] }>;
}

/** The whole local cluster: host processes and the startup stages in order. */
export interface ClusterPlan {
  shape: ClusterShape;
  hosts: HostPlan[];
  stages: Stage[];
  workerPorts: PortRange;
}

export const BOOTSTRAP_HOST = "bootstrap";
export const ALICE_BOB_HOST = "alice-bob";

/**
 * Lays out the network (docs/network.md) on 127.0.0.1: each regional under a super, each local under a regional, each
 * worker under a local (round-robin), Alice and Bob under the first two regional nodes. Every node's seeds follow
 * its own line of the hierarchy top down (super → regional → local), which is the order the bootstrap flow tries.
 * @throws {RangeError} for a shape without a super node, or ports that overlap or leave 1-65535
 */
export function planCluster(shape: ClusterShape, ports: ClusterPorts, fallback: readonly string[]): ClusterPlan {
  validateShape(shape);
  const address = (port: number) => formatPeer({ host: "127.0.0.1", port });
  const bootstrapCount = shape.superCount + shape.regionalCount + shape.localCount;
  const lastBootstrap = ports.bootstrapFirst + bootstrapCount - 1;
  const workerRange = portRangeFor(shape.workers, ports.workerBase, ports.workerMax);
  checkDisjoint([
    ["bootstrap", { first: ports.bootstrapFirst, last: lastBootstrap }],
    ["alice", { first: ports.alice, last: ports.alice }],
    ["bob", { first: ports.bob, last: ports.bob }],
    ...(shape.workers > 0 ? [["worker", workerRange] as [string, PortRange]] : []),
  ]);

  const supers = Array.from({ length: shape.superCount }, (_, i) => ({
    name: `super-${i + 1}`,
    port: ports.bootstrapFirst + i,
  }));
  const regionals = Array.from({ length: shape.regionalCount }, (_, i) => {
    const region = REGIONS[i % REGIONS.length]!;
    return {
      name: `regional-${region}-${Math.floor(i / REGIONS.length) + 1}`,
      port: ports.bootstrapFirst + shape.superCount + i,
      region,
      parent: supers[i % supers.length]!,
    };
  });
  const locals = Array.from({ length: shape.localCount }, (_, i) => {
    const parent = regionals[i % Math.max(regionals.length, 1)];
    return {
      name: `local-${i + 1}`,
      port: ports.bootstrapFirst + shape.superCount + shape.regionalCount + i,
      region: parent?.region ?? "",
      parent,
      superAbove: parent?.parent ?? supers[i % supers.length]!,
    };
  });
  const seed = (port: number, tier: TierName): SeedSpec => ({ address: address(port), tier });
  const node = (spec: Omit<NodeSpec, "fallback">): NodeSpec => ({ ...spec, fallback: [...fallback] });

  const superSpecs = supers.map((s, i) =>
    node({
      name: s.name,
      role: "super-bootstrap",
      port: s.port,
      region: "",
      // The first super starts the network; the others join it.
      seeds: i === 0 ? [] : [seed(supers[0]!.port, "super")],
    })
  );
  const regionalSpecs = regionals.map((r) =>
    node({
      name: r.name,
      role: "regional-bootstrap",
      port: r.port,
      region: r.region,
      parent: address(r.parent.port),
      seeds: [seed(r.parent.port, "super")],
    })
  );
  const localSpecs = locals.map((l) =>
    node({
      name: l.name,
      role: "local-bootstrap",
      port: l.port,
      region: l.region,
      parent: address((l.parent ?? l.superAbove).port),
      seeds: [
        seed(l.superAbove.port, "super"),
        ...(l.parent ? [seed(l.parent.port, "regional")] : []),
      ],
    })
  );
  const workerSpecs = Array.from({ length: shape.workers }, (_, i) => {
    const local = locals[i % Math.max(locals.length, 1)];
    const regional = local?.parent ?? regionals[i % Math.max(regionals.length, 1)];
    const top = local?.superAbove ?? regional?.parent ?? supers[i % supers.length]!;
    return node({
      name: `worker-${i + 1}`,
      role: "worker",
      port: 0,
      region: local?.region ?? regional?.region ?? "",
      seeds: [
        seed(top.port, "super"),
        ...(regional ? [seed(regional.port, "regional")] : []),
        ...(local ? [seed(local.port, "local")] : []),
      ],
    });
  });
  const sideNode = (name: "alice" | "bob", port: number, index: number) => {
    const regional = regionals[index % Math.max(regionals.length, 1)];
    const top = regional?.parent ?? supers[index % supers.length]!;
    return node({
      name,
      role: name,
      port,
      region: regional?.region ?? "",
      seeds: [seed(top.port, "super"), ...(regional ? [seed(regional.port, "regional")] : [])],
    });
  };

  const workerHostCount = shape.workers === 0 ? 0 : Math.ceil(shape.workers / shape.workersPerHost);
  const slices = workerHostCount === 0 ? [] : splitRange(workerRange, workerHostCount);
  const workerHosts: HostPlan[] = slices.map((slice, i) => ({ name: `workers-${i + 1}`, workerPorts: slice }));
  const onBootstrapHost = (nodes: NodeSpec[]) => nodes.length === 0 ? [] : [{ host: BOOTSTRAP_HOST, nodes }];
  const stages: Stage[] = [
    { tier: "super", placements: onBootstrapHost(superSpecs) },
    { tier: "regional", placements: onBootstrapHost(regionalSpecs) },
    { tier: "local", placements: onBootstrapHost(localSpecs) },
    {
      tier: "worker",
      placements: workerHosts.map((host, i) => ({
        host: host.name,
        nodes: workerSpecs.slice(i * shape.workersPerHost, (i + 1) * shape.workersPerHost),
      })),
    },
    {
      tier: "alice-bob",
      placements: [{ host: ALICE_BOB_HOST, nodes: [sideNode("alice", ports.alice, 0), sideNode("bob", ports.bob, 1)] }],
    },
  ];
  return {
    shape,
    hosts: [{ name: BOOTSTRAP_HOST }, ...workerHosts, { name: ALICE_BOB_HOST }],
    stages: stages.filter((s) => s.placements.length > 0),
    workerPorts: workerRange,
  };
}

function validateShape(shape: ClusterShape): void {
  const counts: Array<[string, number, number]> = [
    ["super bootstrap nodes", shape.superCount, 1],
    ["regional bootstrap nodes", shape.regionalCount, 0],
    ["local bootstrap nodes", shape.localCount, 0],
    ["workers", shape.workers, 0],
    ["workers per host", shape.workersPerHost, 1],
  ];
  for (const [what, value, min] of counts) {
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`Invalid number of ${what}: ${value} (expected an integer >= ${min})`);
    }
  }
}

function checkDisjoint(ranges: Array<[string, PortRange]>): void {
  for (const [name, range] of ranges) {
    if (range.first < 1 || range.last > 65535) {
      throw new RangeError(`The ${name} ports ${formatRange(range)} do not fit in 1-65535`);
    }
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, ra] = ranges[i]!;
      const [b, rb] = ranges[j]!;
      if (ra.first <= rb.last && rb.first <= ra.last) {
        throw new RangeError(`The ${a} ports ${formatRange(ra)} overlap the ${b} ports ${formatRange(rb)}`);
      }
    }
  }
}
