import { stringify } from "yaml";
import { envNamesOf, type FieldKind, type SettingValue } from "./field.ts";
import { allowedText } from "./_parse.ts";
import { type SettingName, type Settings, SETTINGS_SCHEMA } from "./schema.ts";

/** One row of the settings help: what a setting is, its default and how to set it. */
export interface SettingDescription {
  /** Setting name, as used in the YAML file and by `--set`. */
  name: SettingName;
  /** Value type. */
  kind: FieldKind;
  /** Value when no layer sets it. */
  default: SettingValue;
  /** Environment variables read for it, upper-case name first. */
  env: readonly string[];
  /** What it accepts, e.g. `integer 1-65535`. */
  allowed: string;
  /** One-line description. */
  description: string;
}

/** Lists every setting for help output, in schema order. */
export function describeSettings(): SettingDescription[] {
  return SETTINGS_SCHEMA.map((field) => ({
    name: field.name,
    kind: field.kind,
    default: field.default,
    env: envNamesOf(field),
    allowed: allowedText(field),
    description: field.description,
  }));
}

/**
 * Renders settings as a YAML config file, in schema order; `loadSettings` reads it back to equal settings.
 *
 * @example
 * ```ts
 * import { DEFAULT_SETTINGS } from "./schema.ts";
 * import { settingsToYaml } from "./describe.ts";
 * console.assert(settingsToYaml(DEFAULT_SETTINGS).startsWith("enable_dynamic_ports: true\n"));
 * ```
 */
export function settingsToYaml(settings: Settings): string {
  return stringify(Object.fromEntries(SETTINGS_SCHEMA.map(({ name }) => [name, settings[name]])));
}
