import { ConfigError, type ConfigSource } from "./errors.ts";
import { SETTINGS_SCHEMA } from "./schema.ts";

const MAX_DISTANCE = 3;

/** Builds the error for an unknown setting name, suggesting the closest known name when one is near. */
export function unknownSettingError(name: string, source: ConfigSource, where: string): ConfigError {
  const suggestion = closestSettingName(name);
  const hint = suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`;
  return new ConfigError(`Unknown setting ${name} ${where}${hint}`, { field: name, source });
}

/** Returns the known setting name closest to `name` (ignoring case and `-`/`_`), if within the distance limit. */
function closestSettingName(name: string): string | undefined {
  const normalized = name.toLowerCase().replaceAll("-", "_");
  let best: { name: string; distance: number } | undefined;
  for (const field of SETTINGS_SCHEMA) {
    const distance = levenshtein(normalized, field.name);
    if (distance <= MAX_DISTANCE && (best === undefined || distance < best.distance)) {
      best = { name: field.name, distance };
    }
  }
  return best?.name;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
