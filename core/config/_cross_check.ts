import { ConfigError, type ConfigSource } from "./errors.ts";
import type { Origin } from "./_parse.ts";
import type { SettingName, Settings } from "./schema.ts";

type Rule = readonly [low: SettingName, op: "<" | "<=", high: SettingName];

const RULES: readonly Rule[] = [
  ["base_port", "<=", "max_port"],
  ["small_network_threshold", "<", "medium_network_threshold"],
  ["medium_network_threshold", "<", "large_network_threshold"],
  ["large_network_threshold", "<", "xlarge_network_threshold"],
  ["active_refresh_min_interval", "<=", "stable_refresh_max_interval"],
];

const DEFAULT_ORIGIN: Origin = { source: "default", label: "default" };
const RANK: Readonly<Record<ConfigSource, number>> = { default: 0, file: 1, env: 2, flag: 3 };

/**
 * Checks the constraints between settings, blaming the field set by the higher-precedence layer.
 * `origins` holds the fields set by a layer; the others are defaults.
 *
 * @throws {ConfigError} naming the blamed field, both values and the rule
 */
export function checkCrossField(settings: Settings, origins: ReadonlyMap<string, Origin>): void {
  for (const [low, op, high] of RULES) {
    const lowValue = Number(settings[low]);
    const highValue = Number(settings[high]);
    if (op === "<" ? lowValue < highValue : lowValue <= highValue) continue;
    const lowOrigin = origins.get(low) ?? DEFAULT_ORIGIN;
    const highOrigin = origins.get(high) ?? DEFAULT_ORIGIN;
    const strict = op === "<";
    const [field, origin, problem, allowed] = RANK[highOrigin.source] > RANK[lowOrigin.source]
      ? [
        high,
        highOrigin,
        `${highValue} is ${strict ? "not greater than" : "less than"} ${low} ${lowValue}`,
        `${high} ${strict ? ">" : ">="} ${low}`,
      ]
      : [
        low,
        lowOrigin,
        `${lowValue} is ${strict ? "not less than" : "greater than"} ${high} ${highValue}`,
        `${low} ${op} ${high}`,
      ];
    const message = `Invalid setting ${field} from ${origin.label}: ${problem} (allowed: ${allowed})`;
    throw new ConfigError(message, { field, source: origin.source, allowed });
  }
}
