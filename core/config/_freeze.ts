import type { SettingValue } from "./field.ts";
import type { SettingName, Settings } from "./schema.ts";

/** Freezes a complete record of parsed setting values, lists included, into a {@linkcode Settings}. */
export function freezeSettings(values: Readonly<Record<SettingName, SettingValue>>): Settings {
  const freeze = (value: SettingValue) => Array.isArray(value) ? Object.freeze([...value]) : value;
  const entries = Object.entries(values).map(([name, value]) => [name, freeze(value)]);
  // Sound because every entry was parsed by its own field's kind.
  return Object.freeze(Object.fromEntries(entries)) as Settings;
}
