import type { KademliaParameters } from "../adaptive/mod.ts";
import { HEALTH_LEVELS, type HealthLevel } from "../health/mod.ts";
import type { KademliaNode } from "../kademlia/mod.ts";
import type { RefreshTiming } from "../refresh/mod.ts";
import type { NodeServices } from "./node_services.ts";

/** Bounds of one tunable parameter. */
export interface ParameterSpec {
  /** What it is, for help texts. */
  readonly description: string;
  readonly min: number;
  readonly max: number;
  /** Whether only whole numbers are accepted. */
  readonly integer: boolean;
}

const DAY_S = 86_400;
const spec = (description: string, min: number, max: number, integer = false): ParameterSpec => ({
  description,
  min,
  max,
  integer,
});
const levelSpecs = (level: HealthLevel) => ({
  [`${level}_interval_s`]: spec(`seconds between ${level} checks of a contact`, 0.1, DAY_S),
  [`${level}_timeout_ms`]: spec(`milliseconds allowed for a ${level} check`, 10, 600_000, true),
});

/**
 * The parameters `cqkd tune` changes on a running node, by group, with their bounds. Names carry their unit.
 * `kademlia` is what the adaptive parameters choose; `health-check` the timing of each check level; `refresh` the
 * bounds of the adaptive refresh (its strategy follows the dynamics).
 */
export const TUNABLE_PARAMETERS = {
  kademlia: {
    alpha: spec("lookup parallelism", 1, 32, true),
    k: spec("bucket size and replication factor", 2, 200, true),
    timeout_ms: spec("milliseconds to wait for an RPC answer", 50, 600_000, true),
    refresh_interval_s: spec("normal refresh interval of idle buckets, in seconds", 1, DAY_S),
  },
  "health-check": Object.assign({}, ...HEALTH_LEVELS.map(levelSpecs)) as Record<string, ParameterSpec>,
  refresh: {
    active_min_interval_s: spec("shortest refresh interval, in seconds", 0.1, DAY_S),
    stable_max_interval_s: spec("longest refresh interval (maintenance strategy), in seconds", 1, DAY_S),
    optimization_interval_s: spec("seconds between re-evaluations of the refresh strategy", 1, DAY_S),
  },
} as const satisfies Record<string, Record<string, ParameterSpec>>;

/** A group of tunable parameters. */
export type ParameterGroup = keyof typeof TUNABLE_PARAMETERS;

/** The groups, in the order `cqkd tune` lists them. */
export const PARAMETER_GROUPS = Object.keys(TUNABLE_PARAMETERS) as ParameterGroup[];

/** The parameters of one group in force on a node, and what else the group's service reports. */
export interface GroupParameters {
  /** Whether the service that uses them runs on the node. */
  enabled: boolean;
  /** The tunable values in force, by parameter name (none when the service does not run). */
  values: Record<string, number>;
  /** Parameters set by hand that the adaptive logic leaves alone until reset (kademlia only). */
  pinned: string[];
  /** Read-only state of the service (size class, strategy, intervals it derived). */
  state: Record<string, string | number | boolean>;
}

/** Every group's parameters on one node. */
export type NodeParameters = Record<ParameterGroup, GroupParameters>;

/** What one `cqkd tune` asks of a node's group: values to set, and whether to reset the group first. */
export interface ParameterChange {
  set?: Record<string, number>;
  /** Hands the group's parameters back: to the adaptive logic (kademlia), or to the node's settings. */
  reset?: boolean;
}

/** A node to tune: the node and, when attached, its services. */
export interface TuningTarget {
  readonly node: KademliaNode;
  readonly services?: NodeServices;
}

/** Raised for a parameter that is unknown or out of its bounds; `parameter` names it. */
export class ParameterError extends Error {
  override name = "ParameterError";
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

/** Raised when the service a group belongs to does not run on the node (health checks turned off). */
export class ServiceOffError extends Error {
  override name = "ServiceOffError";
  constructor(readonly group: ParameterGroup) {
    super(`Cannot tune ${group}: the service is off on this node`);
  }
}

/** The kademlia parameter names and the fields of {@linkcode KademliaParameters} they stand for. */
const KADEMLIA_FIELDS = {
  alpha: "alpha",
  k: "k",
  timeout_ms: "timeoutMs",
  refresh_interval_s: "refreshIntervalS",
} as const satisfies Record<keyof typeof TUNABLE_PARAMETERS.kademlia, keyof KademliaParameters>;

/** The refresh parameter names and the fields of {@linkcode RefreshTiming} they stand for. */
const REFRESH_FIELDS = {
  active_min_interval_s: "activeMinIntervalS",
  stable_max_interval_s: "stableMaxIntervalS",
  optimization_interval_s: "optimizationIntervalS",
} as const satisfies Record<keyof typeof TUNABLE_PARAMETERS.refresh, keyof RefreshTiming>;

/**
 * Checks values against a group's bounds.
 * @throws {ParameterError} naming the first unknown or out-of-bounds parameter
 */
export function checkParameters(group: ParameterGroup, values: Record<string, number>): void {
  const specs: Record<string, ParameterSpec> = TUNABLE_PARAMETERS[group];
  for (const [name, value] of Object.entries(values)) {
    const bounds = specs[name];
    if (bounds === undefined) {
      throw new ParameterError(
        name,
        `Unknown ${group} parameter ${name}: expected one of ${Object.keys(specs).join(", ")}`,
      );
    }
    if (!(value >= bounds.min && value <= bounds.max) || (bounds.integer && !Number.isInteger(value))) {
      throw new ParameterError(
        name,
        `Invalid ${name} ${value}: expected ${bounds.integer ? "a whole number" : "a number"} within ` +
          `${bounds.min}-${bounds.max}`,
      );
    }
  }
}

/** Every group's parameters in force on a node. */
export function readParameters(target: TuningTarget): NodeParameters {
  return { kademlia: kademliaGroup(target), "health-check": healthGroup(target), refresh: refreshGroup(target) };
}

/**
 * Changes a group's parameters on a running node (`cqkd tune`): resets the group first when asked, then sets the
 * values. Kademlia values are pinned: the adaptive analyses leave them alone until a reset hands them back (and
 * their current choice applies at once). Health-check and refresh values stay until changed again or reset to the
 * ones the node started with.
 * @returns the group's parameters after the change
 * @throws {ParameterError} for an unknown or out-of-bounds parameter; nothing changes then
 * @throws {ServiceOffError} when the group's service does not run on the node
 */
export function tuneParameters(target: TuningTarget, group: ParameterGroup, change: ParameterChange): GroupParameters {
  const set = change.set ?? {};
  checkParameters(group, set);
  const { node, services } = target;
  if (group === "kademlia") {
    // The node's adaptive parameters (when attached) pin what an operator sets, and a reset hands all back to them.
    if (change.reset) services?.adaptive.unpin();
    node.parameters.update(renamed(set, KADEMLIA_FIELDS), "operator");
    return kademliaGroup(target);
  }
  if (group === "health-check") {
    const health = services?.health;
    if (health === undefined) throw new ServiceOffError(group);
    if (change.reset) health.resetTiming();
    for (const level of HEALTH_LEVELS) {
      const intervalS = set[`${level}_interval_s`];
      const timeoutMs = set[`${level}_timeout_ms`];
      health.configure(level, {
        ...(intervalS === undefined ? {} : { intervalS }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    }
    return healthGroup(target);
  }
  const refresh = services?.refresh;
  if (refresh === undefined) throw new ServiceOffError(group);
  const next = { ...(change.reset ? refresh.configuredTiming : refresh.timing), ...renamed(set, REFRESH_FIELDS) };
  if (next.activeMinIntervalS > next.stableMaxIntervalS) {
    throw new ParameterError(
      "active_min_interval_s",
      `Invalid active_min_interval_s ${next.activeMinIntervalS}: it must not exceed stable_max_interval_s ` +
        `(${next.stableMaxIntervalS})`,
    );
  }
  refresh.configure(next);
  return refreshGroup(target);
}

function kademliaGroup({ node, services }: TuningTarget): GroupParameters {
  const analysis = services?.adaptive.report();
  const inForce = services?.adaptive.parameters ?? {
    alpha: node.alpha,
    k: node.table.k,
    timeoutMs: node.rpcTimeoutMs,
    refreshIntervalS: node.refreshIntervalS,
  };
  const pinned = new Set<string>(services?.adaptive.pinned ?? []);
  const values: Record<string, number> = {};
  for (const [name, field] of Object.entries(KADEMLIA_FIELDS)) values[name] = inForce[field];
  return {
    enabled: services !== undefined,
    values,
    pinned: Object.entries(KADEMLIA_FIELDS).filter(([, field]) => pinned.has(field)).map(([name]) => name),
    state: {
      adaptive: analysis?.adaptive ?? false,
      ...(analysis ? { tier: analysis.tier, network_size: analysis.networkSize } : {}),
      refresh_interval_in_force_s: services?.refresh?.intervalS ?? node.refreshIntervalS,
    },
  };
}

function healthGroup({ services }: TuningTarget): GroupParameters {
  const health = services?.health;
  const values: Record<string, number> = {};
  for (const level of health === undefined ? [] : HEALTH_LEVELS) {
    const { intervalS, timeoutMs } = health!.timing(level);
    values[`${level}_interval_s`] = intervalS;
    values[`${level}_timeout_ms`] = timeoutMs;
  }
  return {
    enabled: health !== undefined,
    values,
    pinned: [],
    state: health === undefined ? {} : { levels: health.levels.join(",") },
  };
}

function refreshGroup({ services }: TuningTarget): GroupParameters {
  const refresh = services?.refresh;
  const values: Record<string, number> = {};
  const timing = refresh?.timing;
  if (timing !== undefined) {
    for (const [name, field] of Object.entries(REFRESH_FIELDS)) values[name] = timing[field];
  }
  return {
    enabled: refresh !== undefined,
    values,
    pinned: [],
    state: refresh === undefined ? {} : {
      strategy: refresh.strategy,
      interval_s: refresh.intervalS,
      active_interval_s: refresh.activeIntervalS,
    },
  };
}

/** The values under the field names they stand for. */
function renamed<const F extends Record<string, string>>(
  values: Record<string, number>,
  fields: F,
): Partial<Record<F[keyof F], number>> {
  const out: Partial<Record<string, number>> = {};
  for (const [name, value] of Object.entries(values)) out[fields[name]!] = value;
  return out as Partial<Record<F[keyof F], number>>;
}
