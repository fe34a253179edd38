/** The three bootstrap tiers, their default capacities, and which tier each kind of joiner hangs under. */
import type { NodeRole } from "../role.ts";

/** A bootstrap tier, from the root of the hierarchy down. */
export type Tier = "super" | "regional" | "local";

/** The tiers from the root down: 4 super → 16 regional → 64 local. */
export const TIERS: readonly Tier[] = ["super", "regional", "local"];

/** Joiners a bootstrap of each tier admits at once (`max_connections` overrides). */
export const DEFAULT_CAPACITY: Readonly<Record<Tier, number>> = { super: 500, regional: 250, local: 50 };

const HOME_TIER: Readonly<Record<NodeRole, Tier>> = {
  "super-bootstrap": "super",
  "regional-bootstrap": "super",
  "local-bootstrap": "regional",
  "worker": "local",
  "alice": "regional",
  "bob": "regional",
};

/**
 * The tier a joiner of `role` belongs under: worker → local, local bootstrap → regional, regional bootstrap and
 * super bootstrap → super, Alice and Bob → regional.
 * @throws {RangeError} for a role that is not one of the node roles
 */
export function homeTier(role: string): Tier {
  if (!isJoinerRole(role)) {
    throw new RangeError(`Cannot place role "${role}": expected one of ${Object.keys(HOME_TIER).join(", ")}`);
  }
  return HOME_TIER[role];
}

/** Whether `role` is a role {@linkcode homeTier} knows. */
export function isJoinerRole(role: unknown): role is NodeRole {
  return typeof role === "string" && Object.hasOwn(HOME_TIER, role);
}

/** Whether `value` names a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/** Steps between two tiers (0 for the same tier). */
export function tierDistance(a: Tier, b: Tier): number {
  return Math.abs(TIERS.indexOf(a) - TIERS.indexOf(b));
}

/** The tier a node of `role` serves, for the bootstrap roles; `undefined` for the others. */
export function servedTier(role: string): Tier | undefined {
  const match = /^(super|regional|local)-bootstrap$/.exec(role);
  return match === null ? undefined : match[1] as Tier;
}
