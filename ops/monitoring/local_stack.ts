import { join } from "node:path";
import { formatScrapeTargets, type ScrapeTarget } from "../../core/metrics/mod.ts";
import { prometheusConfig } from "./prometheus_config.ts";
import { MONITORING_TOOLS, type MonitoringTool, spawnTool, toolInstalled } from "./tools.ts";

const MONITORING = new URL("../../compose/monitoring/", import.meta.url).pathname;

/** A monitoring program started by `cqkd startup --monitoring`, as the state file records it. */
export interface MonitoringRecord {
  tool: MonitoringTool;
  pid: number;
  /** Its HTTP address (`127.0.0.1:9090`). */
  address: string;
}

/** Options of {@linkcode startLocalStack}. */
export interface LocalStackOptions {
  /** The monitoring directory in the cluster's state dir: configs, data, logs and the targets file. */
  dir: string;
  /** The processes to scrape (also written to the targets file). */
  targets: readonly ScrapeTarget[];
  /** @default {9090} */
  prometheusPort?: number;
  /** @default {9093} */
  alertmanagerPort?: number;
  /** @default {15} */
  scrapeIntervalS?: number;
}

/** What {@linkcode startLocalStack} did: the programs it started, and those it could not (not installed). */
export interface LocalStackReport {
  started: MonitoringRecord[];
  missing: Array<{ tool: MonitoringTool; message: string }>;
}

/** Where the cluster's file_sd targets file lives in a monitoring directory. */
export function targetsFileIn(dir: string): string {
  return join(dir, "targets.json");
}

/** Writes the targets file Prometheus watches (atomically: Prometheus may read it at any time). */
export async function writeTargets(dir: string, targets: readonly ScrapeTarget[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const path = targetsFileIn(dir);
  await Deno.writeTextFile(`${path}.tmp`, formatScrapeTargets(targets));
  await Deno.rename(`${path}.tmp`, path);
}

/** Copies a file of compose/monitoring/ into `dir` (flat) and returns the copy's path. */
async function copyShipped(relative: string, dir: string): Promise<string> {
  const copy = join(dir, relative.replaceAll("/", "_"));
  await Deno.writeTextFile(copy, await Deno.readTextFile(`${MONITORING}${relative}`));
  return copy;
}

/**
 * Starts Prometheus (scraping the targets file, with the cqkd alert rules) and Alertmanager (with
 * `compose/monitoring/alertmanager.yml`) on 127.0.0.1, detached, each with its data and log under `dir`. A program
 * that is not installed is reported in `missing`, not thrown: the cluster runs without it.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStackReport> {
  const { dir } = options;
  await writeTargets(dir, options.targets);
  // The tools read copies in `dir`: in the compiled binary the shipped files live inside the executable
  // (deno compile --include), where only this process can read them.
  const alertmanagerConfig = await copyShipped("alertmanager.yml", dir);
  const alertRules = await copyShipped("rules/cqkd_alerts.yml", dir);
  const report: LocalStackReport = { started: [], missing: [] };
  const alertmanager = `127.0.0.1:${options.alertmanagerPort ?? 9093}`;
  const launch = (tool: MonitoringTool, address: string, args: string[]) => {
    if (!toolInstalled(tool)) {
      const { path, pkg } = MONITORING_TOOLS[tool];
      report.missing.push({ tool, message: `${tool} is not installed (${path}): apt-get install -y ${pkg}` });
      return;
    }
    const child = spawnTool(tool, args, { logFile: join(dir, `${tool}.log`), detached: true });
    child.unref();
    report.started.push({ tool, pid: child.pid, address });
  };
  launch("alertmanager", alertmanager, [
    `--config.file=${alertmanagerConfig}`,
    `--storage.path=${join(dir, "alertmanager")}`,
    `--web.listen-address=${alertmanager}`,
    "--cluster.listen-address=",
  ]);
  const hasAlertmanager = report.started.length > 0;
  const configFile = join(dir, "prometheus.yml");
  await Deno.writeTextFile(
    configFile,
    prometheusConfig({
      targetsFile: targetsFileIn(dir),
      ruleFiles: [alertRules],
      ...(hasAlertmanager ? { alertmanager } : {}),
      scrapeIntervalS: options.scrapeIntervalS ?? 15,
    }),
  );
  const prometheus = `127.0.0.1:${options.prometheusPort ?? 9090}`;
  launch("prometheus", prometheus, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, "prometheus")}`,
    `--web.listen-address=${prometheus}`,
  ]);
  return report;
}

/**
 * Stops the monitoring programs of a record (SIGTERM, then SIGKILL after `graceMs`); a pid that is no longer the
 * recorded program (gone, or reused by another process) is left alone.
 * @returns what happened to each
 */
export async function stopLocalStack(
  records: readonly MonitoringRecord[],
  graceMs = 5000,
): Promise<Array<{ tool: MonitoringTool; outcome: "terminated" | "killed" | "already gone" }>> {
  return await Promise.all(records.map(async ({ tool, pid }) => {
    if (!isTool(pid, tool)) return { tool, outcome: "already gone" as const };
    Deno.kill(pid, "SIGTERM");
    const deadline = performance.now() + graceMs;
    while (performance.now() < deadline) {
      if (!isTool(pid, tool)) return { tool, outcome: "terminated" as const };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (isTool(pid, tool)) Deno.kill(pid, "SIGKILL");
    return { tool, outcome: "killed" as const };
  }));
}

/** Whether `pid` runs the given tool (from /proc: its command line names the tool's program). */
function isTool(pid: number, tool: MonitoringTool): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") return false;
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").includes(MONITORING_TOOLS[tool].path);
  } catch {
    return false;
  }
}
