import { describeSettings, type Settings, settingsToYaml } from "../core/config/mod.ts";

/** Settings that hold a secret: `config show` prints them redacted (public keys and file paths are no secret). */
export const SECRET_SETTINGS: ReadonlySet<keyof Settings> = new Set(["admin_token"]);

/** What `config show` prints in place of a secret that is set. */
export const REDACTED = "[redacted]";

/**
 * `cqkd config show`: the settings in force, as YAML or JSON, with secrets redacted (an empty secret stays empty,
 * so that the output still tells whether one is set).
 */
export function showSettings(settings: Settings, json: boolean): string {
  const shown = { ...settings };
  for (const name of SECRET_SETTINGS) {
    if (shown[name] !== "") (shown as Record<string, unknown>)[name] = REDACTED;
  }
  return json ? JSON.stringify(shown, null, 2) : settingsToYaml(shown).trimEnd();
}

/** `cqkd config fields`: every setting with its default, environment names and meaning. */
export function listFields(): string {
  return describeSettings().map((row) =>
    `${row.name} (${row.allowed}; default ${JSON.stringify(row.default)}; env ${
      row.env.join(", ")
    })\n    ${row.description}`
  ).join("\n");
}
