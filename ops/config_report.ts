import { describeSettings, type Settings, settingsToYaml } from "../core/config/mod.ts";

/** `cqkd config show`: the settings in force, as YAML (loadable with `--config`) or JSON. */
export function showSettings(settings: Settings, json: boolean): string {
  return json ? JSON.stringify(settings, null, 2) : settingsToYaml(settings).trimEnd();
}

/** `cqkd config fields`: every setting with its default, environment names and meaning. */
export function listFields(): string {
  return describeSettings().map((row) =>
    `${row.name} (${row.allowed}; default ${JSON.stringify(row.default)}; env ${
      row.env.join(", ")
    })\n    ${row.description}`
  ).join("\n");
}
