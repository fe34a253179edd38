import { Argument, type Command } from "commander";
import { PARAMETER_GROUPS, type ParameterGroup } from "../../core/services/mod.ts";
import { audited } from "../audit/mod.ts";
import { type GlobalOptions, settingsFromCli } from "../cli_settings.ts";
import { nodeAddress } from "./_client.ts";
import { DIAGNOSE_TARGETS, type DiagnoseOptions, type DiagnoseTarget } from "./diagnosis.ts";
import { diagnoseHealth, formatHealth } from "./health_check.ts";
import { diagnoseNetwork, formatNetwork } from "./network.ts";
import { diagnosePerformance, formatPerformance } from "./performance.ts";
import { diagnosePorts, formatPorts } from "./ports.ts";
import { diagnoseRoutingTable, formatRoutingTable } from "./routing_table.ts";
import { formatTune, parseAssignments, tune, tuneExitCode } from "./tune.ts";

/** Each target's diagnosis, as JSON and as text. */
const DIAGNOSES: Record<DiagnoseTarget, (options: DiagnoseOptions) => Promise<{ json: unknown; text: string }>> = {
  "network": async (o) => present(await diagnoseNetwork(o), formatNetwork),
  "routing-table": async (o) => present(await diagnoseRoutingTable(o), formatRoutingTable),
  "health-check": async (o) => present(await diagnoseHealth(o), formatHealth),
  "performance": async (o) => present(await diagnosePerformance(o), formatPerformance),
  "ports": async (o) => present(await diagnosePorts(o), formatPorts),
};

function present<T>(report: T, format: (report: T) => string): { json: T; text: string } {
  return { json: report, text: format(report) };
}

interface TuneFlags {
  node?: string;
  all?: boolean;
  reset?: boolean;
  admin?: string;
  token?: string;
  json?: boolean;
}

/**
 * Adds `cqkd diagnose network|routing-table|health-check|performance|ports` (the troubleshooting tools:
 * tables for a person, JSON with --json) and `cqkd tune kademlia|health-check|refresh` (show or
 * change the parameters in force, live through the admin API).
 */
export function addDiagnoseCommands(program: Command): void {
  program.command("diagnose")
    .description("diagnose the local cluster, or one node over UDP with --node (legacy nodes too)")
    .addArgument(new Argument("<target>", "what to diagnose").choices(DIAGNOSE_TARGETS))
    .option("--node <host:port>", "diagnose this node instead of the local cluster")
    .option("--json", "print JSON")
    .action(async (target: DiagnoseTarget, flags: { node?: string; json?: boolean }, command: Command) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const node = flags.node === undefined ? undefined : await nodeAddress(flags.node);
      const { json, text } = await DIAGNOSES[target]({ settings, ...(node ? { node } : {}) });
      console.log(flags.json ? JSON.stringify(json) : text);
    });

  program.command("tune")
    .description(
      "show the parameters in force, or change them live with --set through the admin API (a write token; audited)",
    )
    .addArgument(new Argument("<group>", "which parameters").choices(PARAMETER_GROUPS))
    .option("--set <name=value>", "a parameter to change, repeatable (names: `cqkd tune <group>`)")
    .option("--reset", "hand the group back: kademlia to the adaptive logic, the others to the node's settings")
    .option("--node <host:port>", "the node of the local cluster listening there")
    .option("--all", "every node of the local cluster")
    .option("--admin <url>", "the admin API of one `cqkd node` process instead of the local cluster")
    .option("--token <token>", "write token for --admin (default: the admin_token setting)")
    .option("--json", "print JSON")
    .action(async (group: ParameterGroup, flags: TuneFlags, command: Command) => {
      const { settingsSets, tuneSets } = splitSets(command);
      const settings = await settingsFromCli({ ...command.optsWithGlobals<GlobalOptions>(), set: settingsSets });
      const set = parseAssignments(group, tuneSets);
      const node = flags.node === undefined ? undefined : await nodeAddress(flags.node);
      const token = flags.token ?? (settings.admin_token || undefined);
      const request = {
        settings,
        group,
        set,
        reset: flags.reset === true,
        all: flags.all === true,
        ...(node ? { node } : {}),
        ...(flags.admin ? { admin: { url: flags.admin, ...(token ? { token } : {}) } } : {}),
      };
      const changes = request.reset || tuneSets.length > 0;
      const target = flags.admin ?? flags.node ?? (flags.all ? "all" : "cluster");
      const report = changes
        ? await audited(settings, "tune", { group, set, reset: request.reset, target }, () => tune(request), {
          failure: (r) => r.failed.length === 0 ? undefined : `${r.failed.length} nodes not tuned`,
        })
        : await tune(request);
      console.log(flags.json ? JSON.stringify(report) : formatTune(report));
      Deno.exitCode = tuneExitCode(report);
    });
}

/** Options of the root command that take a value (so that the value is not read as the subcommand's name). */
const VALUED_GLOBALS = new Set(["-c", "--config", "--set"]);

/**
 * Splits the `--set` options of a `cqkd … tune … --set name=value` line: the root command takes every `--set` as a
 * setting, wherever it stands, so those after the subcommand's name are told apart here as the parameters to tune.
 */
function splitSets(command: Command): { settingsSets: string[]; tuneSets: string[] } {
  const all = command.optsWithGlobals<GlobalOptions>().set ?? [];
  // Commander keeps the arguments as given in `rawArgs` (not in its typings).
  const raw: string[] = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  let at = 0;
  while (at < raw.length && raw[at] !== command.name()) at += VALUED_GLOBALS.has(raw[at]!) ? 2 : 1;
  const after = raw.slice(at + 1);
  const count = after.filter((arg) => arg === "--set" || arg.startsWith("--set=")).length;
  return { settingsSets: all.slice(0, all.length - count), tuneSets: all.slice(all.length - count) };
}
