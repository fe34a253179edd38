import type { Command } from "commander";
import type { Settings } from "../../core/config/mod.ts";
import { audited } from "../audit/mod.ts";
import { count, rate } from "../cli_numbers.ts";
import { type GlobalOptions, settingsFromCli } from "../cli_settings.ts";
import { stepPrinter } from "../cluster_cli.ts";
import { CommandError, EXIT } from "../exit_codes.ts";
import { formatTable } from "../table.ts";
import { detectIssues, type DetectReport } from "./detect.ts";
import { emergencyStop, type EmergencyStopReport } from "./emergency_shutdown.ts";
import { enterFallbackMode, type FallbackReport } from "./fallback.ts";
import { plural } from "./_text.ts";
import { needsAction } from "./finding.ts";
import { isolateNodes, type IsolateReport } from "./isolate.ts";
import { recoverCluster, type RecoverReport } from "./recover.ts";

/** Adds `cqkd emergency detect|isolate|fallback|recover|shutdown` (docs/operations.md#emergency). */
export function addEmergencyCommands(program: Command): void {
  const emergency = program.command("emergency")
    .description("emergency procedures on the local cluster: detect, isolate, fallback, recover, shutdown");

  emergency.command("detect")
    .description("scan the cluster for problems (exit code 0: none, 1: action needed, 2: could not run)")
    .option("--latency-ms <ms>", "report nodes whose round trip is over this", "500")
    .option("--loss <share>", "report packet loss over this share (0-1)", "0.05")
    .option("--probes <n>", "UDP probes per node", "3")
    .option("--json", "print JSON")
    .action((flags: { latencyMs: string; loss: string; probes: string }, command: Command) => {
      const thresholds = { latencyMs: count(flags.latencyMs, "--latency-ms"), loss: rate(flags.loss, "--loss") };
      const probe = { attempts: Math.max(1, count(flags.probes, "--probes")) };
      return runProcedure(command, {
        name: "detect",
        args: thresholds,
        run: (settings) => detectIssues(settings, { thresholds, probe }),
        failure: (r) => needsAction(r.findings) ? `${plural(r.findings.length, "finding")}` : undefined,
        format: formatDetect,
      });
    });

  emergency.command("isolate")
    .description("take nodes out of every routing table and keep them out (their ids are blocked on every node)")
    .option("--node <name|id...>", "a node to isolate, by name or id (repeatable)")
    .option("--detected", "also isolate what `emergency detect` calls for isolating (unreachable, lossy, slow)")
    .option("--json", "print JSON")
    .action((flags: { node?: string[]; detected?: boolean }, command: Command) => {
      const nodes = flags.node ?? [];
      const detected = flags.detected ?? false;
      if (nodes.length === 0 && !detected) {
        throw new CommandError("Name the nodes to isolate with --node, or pass --detected");
      }
      return runProcedure(command, {
        name: "isolate",
        args: { nodes, detected },
        run: (settings) => isolateNodes(settings, { nodes, detected }),
        failure: (r) => r.failures.length > 0 ? `${plural(r.failures.length, "host process")} not asked` : undefined,
        format: formatIsolate,
      });
    });

  emergency.command("fallback")
    .description("switch to fallback mode: every node rejoins through fallback_bootstrap_nodes, recorded for recover")
    .option("--json", "print JSON")
    .action((_flags: unknown, command: Command) =>
      runProcedure(command, {
        name: "fallback",
        run: enterFallbackMode,
        failure: (r) => r.failures.length > 0 ? `${plural(r.failures.length, "node")} did not rejoin` : undefined,
        format: formatFallback,
      })
    );

  emergency.command("recover")
    .description("restart dead host processes and nodes, rejoin, refresh, then verify network (exit code 1: fails)")
    .option("--ready-timeout <s>", "longest wait for the restarted nodes of one tier", "120")
    .option("--json", "print JSON")
    .action((flags: { readyTimeout: string; json?: boolean }, command: Command) => {
      const readyTimeoutMs = count(flags.readyTimeout, "--ready-timeout") * 1000;
      return runProcedure(command, {
        name: "recover",
        run: (settings) =>
          recoverCluster({ settings, readyTimeoutMs, onEvent: flags.json ? undefined : stepPrinter() }),
        failure: (r) => r.ok ? undefined : `verify failed: ${r.checks.filter((c) => !c.ok).map((c) => c.name)}`,
        format: formatRecover,
      });
    });

  emergency.command("shutdown")
    .description("stop every process of the cluster at once, keeping the state for `cqkd emergency recover`")
    .option("--json", "print JSON")
    .action((_flags: unknown, command: Command) =>
      runProcedure(command, { name: "shutdown", run: emergencyStop, format: formatStop })
    );
}

/** An emergency procedure as its command runs it. */
interface Procedure<T> {
  /** Its name in the audit log, after `emergency `. */
  name: string;
  /** Its key arguments, for the audit log. */
  args?: Record<string, unknown>;
  run: (settings: Settings) => Promise<T>;
  /** Why the report calls for exit code 1 (and a failed audit line); `undefined` when all is well. */
  failure?: (report: T) => string | undefined;
  /** The report for a person. */
  format: (report: T) => string;
}

/** Runs a procedure with the settings of the command line, audited; sets the exit code and prints the report. */
async function runProcedure<T extends object>(command: Command, procedure: Procedure<T>): Promise<void> {
  const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
  const report = await audited(
    settings,
    `emergency ${procedure.name}`,
    procedure.args ?? {},
    () => procedure.run(settings),
    { ...(procedure.failure ? { failure: procedure.failure } : {}) },
  );
  const ok = procedure.failure?.(report) === undefined;
  Deno.exitCode = ok ? EXIT.ok : EXIT.no;
  console.log(command.opts<{ json?: boolean }>().json ? JSON.stringify({ ok, ...report }) : procedure.format(report));
}

function formatDetect({ findings, scanned }: DetectReport): string {
  const what = `${scanned.hosts} host processes, ${scanned.nodes} nodes, ${scanned.probes} UDP probes, ` +
    `${scanned.tables} routing tables in ${scanned.seconds.toFixed(1)} s`;
  if (findings.length === 0) return `No problem found (${what})`;
  const table = formatTable(
    ["severity", "finding", "subject", "action", "detail"],
    findings.map((f) => [f.severity, f.kind, f.subject, f.action, f.detail]),
  );
  const actions = [...new Set(findings.map((f) => f.action).filter((a) => a !== "none"))];
  const next = actions.length === 0
    ? "Nothing needs action"
    : `${plural(findings.filter((f) => f.severity !== "info").length, "finding")} to act on: ${
      actions.map((a) => `cqkd emergency ${a}`).join(", then ")
    }`;
  return `${table}\n\n${next} (${what})`;
}

function formatIsolate(report: IsolateReport): string {
  if (report.isolated.length === 0) return "Nothing to isolate: detect found no node that calls for it";
  const table = formatTable(
    ["node", "id", "removed from", "blocked by"],
    report.isolated.map((i) => [i.name, i.id, `${plural(i.removedFrom, "table")}`, `${plural(i.blockedBy, "node")}`]),
  );
  const failed = report.failures.map((f) => `! host ${f.host}: ${f.error}`);
  return [
    table,
    "",
    ...failed,
    `${plural(report.isolated.length, "node")} isolated: out of every routing table and blocked ` +
    "(`cqkd emergency recover` starts them again with a new id)",
  ].join("\n");
}

function formatFallback(report: FallbackReport): string {
  const table = formatTable(
    ["tier", "nodes", "rejoined", "failed", "on the list", "mean contacts"],
    report.tiers.map((t) => [t.tier, t.nodes, t.rejoined, t.failed, t.listed, t.meanContacts]),
  );
  const failed = report.failures.map((f) => `! ${f.node}: ${f.error}`);
  return [
    table,
    "",
    ...failed,
    `Fallback mode: the nodes rejoined through ${report.peers.join(", ")}; ` +
    `recover starts nodes through it, workers on static ports from ${report.staticPort}`,
  ].join("\n");
}

function formatRecover(report: RecoverReport): string {
  return [
    formatTable(["host process", "outcome"], report.hosts.map((h) => [h.name, h.outcome])),
    "",
    formatTable(
      ["tier", "restarted", "ready", "failed"],
      report.tiers.map((t) => [t.tier, t.restarted.length, t.ready, t.failed.map((f) => f.name).join(", ")]),
    ),
    "",
    `Removed ${report.pruned.contacts} contacts of nodes that are gone from ${report.pruned.tables} routing tables`,
    `Rejoined ${report.rejoined.nodes - report.rejoined.failed}/${report.rejoined.nodes} nodes through ${
      report.rejoined.through.join(", ")
    }; refreshed ${report.refreshed.nodes - report.refreshed.failed}/${report.refreshed.nodes}`,
    "",
    formatTable(["check", "result", "detail"], report.checks.map((c) => [c.name, c.ok ? "ok" : "FAIL", c.detail])),
    "",
    `recover: verify network ${report.ok ? "passed" : "FAILED"} after ${report.seconds.toFixed(1)} s`,
  ].join("\n");
}

function formatStop(report: EmergencyStopReport): string {
  if (!report.wasRunning) return "No cluster is recorded: nothing to stop";
  const ended = [...report.hosts.map((h) => [h.name, h.outcome]), ...report.monitoring.map((m) => [m.tool, m.outcome])];
  return `${formatTable(["process", "ended"], ended)}\n\nStopped in ${
    report.seconds.toFixed(1)
  } s; state kept in ${report.stateFile} (\`cqkd emergency recover\` starts the cluster again)`;
}
