import type { Command } from "commander";
import { ConfigError, type Settings } from "../core/config/mod.ts";
import { audited, AuditLog, auditLogPath } from "./audit/mod.ts";
import { dirname, resolve } from "node:path";
import { backupConfig, backupKeyFrom, defaultBackupName, restoreConfig } from "./backup/mod.ts";
import { type GlobalOptions, settingsFromCli } from "./cli_settings.ts";
import { CommandError } from "./exit_codes.ts";
import { formatTable } from "./table.ts";

/** Adds `cqkd config backup|restore` to the `config` command and `cqkd audit` to the program. */
export function addSecurityCommands(program: Command, config: Command): void {
  config.command("backup")
    .description(
      "bundle the configuration in force (config, tokens, key files) into one file, its checksum keyed by " +
        "CQKD_BACKUP_KEY",
    )
    .option("-o, --output <file>", "where to write it (mode 0600; never over an existing file)")
    .option("--json", "print the report as JSON")
    .action(async (flags: { output?: string; json?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const settings = await settingsFromCli(global);
      const output = flags.output ?? defaultBackupName();
      const report = await audited(
        settings,
        "config backup",
        { output },
        () => backupConfig(settings, global.config, output, backupKeyFrom()),
      );
      if (flags.json) return console.log(JSON.stringify(report));
      console.log(formatTable(["file", "role", "bytes"], report.files.map((f) => [f.path, f.role, f.bytes])));
      for (const m of report.missing) console.log(`! ${m.role} names ${m.path}, which does not exist: not bundled`);
      console.log(
        `\nBackup written to ${report.output} (${report.files.length} files; it holds secrets: keep it safe)`,
      );
    });
  config.command("restore")
    .description(
      "restore a configuration backup into the state and config directories (validated whole before anything is " +
        "written; CQKD_BACKUP_KEY must be the backup's key)",
    )
    .argument("<file>", "the backup file")
    .option("--force", "replace files that differ from the backup (a copy of each is kept)")
    .option("--json", "print the report as JSON")
    .action(async (file: string, flags: { force?: boolean; json?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const settings = await auditSettings(global);
      const force = flags.force === true;
      const directories = [resolve(settings.state_dir), ...(global.config ? [dirname(resolve(global.config))] : [])];
      const restored = await audited(
        settings,
        "config restore",
        { file, force },
        () => restoreConfig(file, { force, key: backupKeyFrom(), directories }),
      );
      if (flags.json) return console.log(JSON.stringify(restored));
      console.log(formatTable(
        ["file", "role", "action", "previous kept as"],
        restored.map((r) => [r.path, r.role, r.action, r.keptAs ?? ""]),
      ));
    });

  program.command("audit").description("show the audit log: admin API mutations and ops procedures, newest last")
    .option("-n, --tail <n>", "only the last n entries", "50")
    .option("--json", "print the entries as JSON lines")
    .action(async (flags: { tail: string; json?: boolean }, command: Command) => {
      const tail = Number(flags.tail);
      if (!Number.isSafeInteger(tail) || tail < 1) {
        throw new CommandError(`Invalid --tail "${flags.tail}": expected n >= 1`);
      }
      const path = auditLogPath(await settingsFromCli(command.optsWithGlobals<GlobalOptions>()));
      const { entries, skipped } = AuditLog.read(path, { tail });
      if (flags.json) return entries.forEach((e) => console.log(JSON.stringify(e)));
      if (entries.length === 0) return console.log(`The audit log ${path} is empty`);
      console.log(formatTable(
        ["time", "who", "client", "what", "result"],
        entries.map((e) => [
          e.time,
          e.who,
          e.client,
          e.procedure ?? `${e.method} ${e.path}`,
          `${e.status ?? (e.ok ? "ok" : "failed")}${e.error ? `: ${e.error}` : ""}`,
        ]),
      ));
      if (skipped > 0) console.log(`\n! ${skipped} line(s) of ${path} are not audit entries`);
    });
}

/**
 * The settings that say where a restore is audited. A restore is often run because the config file is broken: then
 * the file is left out, and the environment and `--set` still apply.
 */
async function auditSettings(global: GlobalOptions): Promise<Settings> {
  try {
    return await settingsFromCli(global);
  } catch (error) {
    if (!(error instanceof ConfigError) || global.config === undefined) throw error;
    return await settingsFromCli({ ...global, config: undefined });
  }
}
