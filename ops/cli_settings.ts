import { loadSettings, parseAssignment, type Settings } from "../core/config/mod.ts";

/** Options every subcommand accepts (declared once on the root command). */
export interface GlobalOptions {
  config?: string;
  set?: string[];
}

/**
 * Settings of this invocation: defaults < `--config` file < environment < `--set name=value` < the command's own
 * flags (`flags`, by setting name; `undefined` entries are ignored).
 * @throws {ConfigError} naming the bad field
 */
export function settingsFromCli(global: GlobalOptions, flags: Record<string, unknown> = {}): Promise<Settings> {
  const assigned = Object.fromEntries((global.set ?? []).map(parseAssignment));
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  return loadSettings({ configPath: global.config, flags: { ...assigned, ...given } });
}
