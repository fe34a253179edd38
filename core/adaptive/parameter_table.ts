/** The Kademlia parameters the adaptive system sets on a node. */
export interface KademliaParameters {
  /** Lookup parallelism. */
  readonly alpha: number;
  /** Bucket size and replication factor. */
  readonly k: number;
  /** Time to wait for one RPC answer. */
  readonly timeoutMs: number;
  /** Idle buckets are refreshed after this long (the "normal" refresh interval). */
  readonly refreshIntervalS: number;
}

/** Upper bounds (inclusive, in nodes) of the small, medium, large and extra-large network sizes. */
export interface NetworkThresholds {
  /** @default {50} */
  readonly small: number;
  /** @default {200} */
  readonly medium: number;
  /** @default {500} */
  readonly large: number;
  /** @default {1000} */
  readonly xlarge: number;
}

/** The default thresholds. */
export const DEFAULT_THRESHOLDS: NetworkThresholds = { small: 50, medium: 200, large: 500, xlarge: 1000 };

/** The network size classes, smallest first. */
export const NETWORK_TIERS = ["small", "medium", "large", "xlarge", "huge"] as const;

/** A size class of the parameter table. */
export type NetworkTier = typeof NETWORK_TIERS[number];

/** The parameters of each size class below "huge" (docs/network.md#adaptive-parameters). */
const TABLE: readonly KademliaParameters[] = [
  { alpha: 3, k: 20, timeoutMs: 5000, refreshIntervalS: 300 },
  { alpha: 4, k: 25, timeoutMs: 8000, refreshIntervalS: 240 },
  { alpha: 6, k: 35, timeoutMs: 15000, refreshIntervalS: 180 },
  { alpha: 8, k: 40, timeoutMs: 20000, refreshIntervalS: 120 },
];

/** A class is left for a smaller one only below this share of its lower bound, so that noise cannot flap it. */
const DOWN_MARGIN = 0.85;

/**
 * The size class of an estimated network size. Given the class in force, it moves up as soon as the estimate
 * passes the class's upper bound, but down only once the estimate is clearly below its lower bound.
 */
export function tierFor(size: number, thresholds: NetworkThresholds, current?: NetworkTier): NetworkTier {
  const bounds = [thresholds.small, thresholds.medium, thresholds.large, thresholds.xlarge];
  let tier = bounds.findIndex((bound) => size <= bound);
  if (tier === -1) tier = bounds.length;
  const held = current === undefined ? tier : NETWORK_TIERS.indexOf(current);
  if (tier < held && size >= bounds[held - 1]! * DOWN_MARGIN) tier = held;
  return NETWORK_TIERS[tier]!;
}

/**
 * The parameters of a size class. Beyond the extra-large bound ("1000+": 8+, 40+, 20 s+, 60 s) every
 * doubling of the network adds 1 to alpha, 5 to k and 5 s to the timeout.
 */
export function parametersFor(tier: NetworkTier, size: number, thresholds: NetworkThresholds): KademliaParameters {
  const index = NETWORK_TIERS.indexOf(tier);
  if (index < TABLE.length) return TABLE[index]!;
  const doublings = Math.max(0, Math.floor(Math.log2(size / thresholds.xlarge)));
  return {
    alpha: Math.min(32, 8 + doublings),
    k: Math.min(200, 40 + 5 * doublings),
    timeoutMs: 20000 + 5000 * doublings,
    refreshIntervalS: 60,
  };
}
