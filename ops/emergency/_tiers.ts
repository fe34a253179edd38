import { STEP_ROLES } from "../cluster/cluster.ts";
import { type TierName, TIERS } from "../cluster/plan.ts";

/** A startup tier (super, regional, local, worker, alice-bob) of the cluster. */
export type StepTier = keyof typeof STEP_ROLES;

/** The startup tier of a role. */
export function tierOf(role: string): StepTier | undefined {
  return (Object.keys(STEP_ROLES) as StepTier[]).find((tier) => (STEP_ROLES[tier] as readonly string[]).includes(role));
}

/** Groups items by the tier of their role, in startup order, leaving out tiers with none. */
export function byTier<T extends { role: string }>(items: readonly T[]): Array<[StepTier, T[]]> {
  return (Object.keys(STEP_ROLES) as StepTier[])
    .map((tier): [StepTier, T[]] => [tier, items.filter((item) => tierOf(item.role) === tier)])
    .filter(([, members]) => members.length > 0);
}

/** Whether a startup tier is a bootstrap tier. */
export function isTier(tier: string): tier is TierName {
  return (TIERS as readonly string[]).includes(tier);
}
