import { ConfigError } from "./errors.ts";
import { envNamesOf, type SettingValue } from "./field.ts";
import { type Layer, type Origin, parseField, show } from "./_parse.ts";
import { settingField, type SettingName, type Settings, SETTINGS_SCHEMA } from "./schema.ts";
import { checkCrossField } from "./_cross_check.ts";
import { readConfigFile } from "./_file.ts";
import { freezeSettings } from "./_freeze.ts";
import { unknownSettingError } from "./_suggest.ts";

/** Options for {@linkcode loadSettings}. */
export interface LoadSettingsOptions {
  /** YAML file mapping setting names to values; no file is read when absent. */
  configPath?: string;
  /**
   * Environment variables; only the upper-case setting names and their aliases are read.
   * @default {Deno.env}
   */
  env?: Record<string, string | undefined>;
  /** Command-line values by setting name, typed or as strings (parsed like env); `undefined` entries are skipped. */
  flags?: Record<string, unknown>;
}

/**
 * Resolves the settings of a process with the precedence defaults < YAML file < environment < flags, then checks
 * the constraints between fields.
 *
 * @returns frozen settings
 * @throws {ConfigError} naming the field, the bad value, its source and what is allowed
 *
 * @example
 * ```ts
 * import { loadSettings } from "./load.ts";
 * const settings = await loadSettings({ env: { DHT_PORT: "5678" }, flags: { ksize: 8 } });
 * console.assert(settings.dht_port === 5678 && settings.ksize === 8 && settings.alpha === 3);
 * ```
 */
export async function loadSettings(options: LoadSettingsOptions = {}): Promise<Settings> {
  const { configPath, env, flags = {} } = options;
  const layers = [
    configPath === undefined ? new Map() : await readConfigFile(configPath),
    readEnv(env ? (name) => env[name] : (name) => Deno.env.get(name)),
    readFlags(flags),
  ];
  const values: Record<string, SettingValue> = Object.fromEntries(SETTINGS_SCHEMA.map((f) => [f.name, f.default]));
  const origins = new Map<string, Origin>();
  for (const layer of layers) {
    for (const [name, { value, origin }] of layer) {
      values[name] = value;
      origins.set(name, origin);
    }
  }
  const settings = freezeSettings(values as Record<SettingName, SettingValue>);
  checkCrossField(settings, origins);
  return settings;
}

/**
 * Splits a `--set name=value` argument; the value is parsed later like an environment variable.
 *
 * @throws {ConfigError} when `=` is missing or the name is not a known setting
 */
export function parseAssignment(assignment: string): [SettingName, string] {
  const equals = assignment.indexOf("=");
  if (equals < 1) {
    const message = `Invalid --set argument ${show(assignment)}: expected name=value`;
    throw new ConfigError(message, { field: "", source: "flag", allowed: "name=value" });
  }
  const name = assignment.slice(0, equals).trim();
  const field = settingField(name);
  if (!field) throw unknownSettingError(name, "flag", `in --set ${assignment}`);
  return [field.name as SettingName, assignment.slice(equals + 1)];
}

function readEnv(get: (name: string) => string | undefined): Layer {
  const layer: Layer = new Map();
  for (const field of SETTINGS_SCHEMA) {
    const found = envNamesOf(field).flatMap((name) => {
      const text = get(name);
      return text === undefined ? [] : [{ name, text }];
    });
    const [first, ...others] = found;
    if (!first) continue;
    const conflict = others.find(({ text }) => text !== first.text);
    if (conflict) {
      const describe = ({ name, text }: { name: string; text: string }) => `${name} is ${show(text)}`;
      const message = `Conflicting setting ${field.name} from env: ${describe(first)} but ${describe(conflict)}`;
      throw new ConfigError(message, { field: field.name, source: "env" });
    }
    const origin = { source: "env", label: `env ${first.name}` } as const;
    layer.set(field.name, { value: parseField(field, first.text, origin), origin });
  }
  return layer;
}

function readFlags(flags: Record<string, unknown>): Layer {
  const layer: Layer = new Map();
  for (const [name, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const field = settingField(name);
    if (!field) throw unknownSettingError(name, "flag", "in flags");
    const origin = { source: "flag", label: `flag ${name}` } as const;
    layer.set(field.name, { value: parseField(field, raw, origin), origin });
  }
  return layer;
}
