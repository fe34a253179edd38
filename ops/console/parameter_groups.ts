import { PARAMETER_GROUPS, type ParameterGroup } from "../../core/services/mod.ts";

/** Whether `group` names a group of tunable parameters. */
export function isParameterGroup(group: string): group is ParameterGroup {
  return (PARAMETER_GROUPS as readonly string[]).includes(group);
}
