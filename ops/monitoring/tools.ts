/** The monitoring programs cqkd can start, where their Debian packages install them. */
export const MONITORING_TOOLS = {
  prometheus: { path: "/usr/bin/prometheus", pkg: "prometheus" },
  alertmanager: { path: "/usr/bin/prometheus-alertmanager", pkg: "prometheus-alertmanager" },
} as const;

/** A monitoring program. */
export type MonitoringTool = keyof typeof MONITORING_TOOLS;

/** Raised when a monitoring program is not installed: the message says which package to install. */
export class ToolMissingError extends Error {
  override name = "ToolMissingError";
  constructor(readonly tool: MonitoringTool) {
    const { path, pkg } = MONITORING_TOOLS[tool];
    super(`Cannot start ${tool}: ${path} is not installed (apt-get install -y ${pkg})`);
  }
}

/** Whether a monitoring program is installed. */
export function toolInstalled(tool: MonitoringTool): boolean {
  try {
    return Deno.statSync(MONITORING_TOOLS[tool].path).isFile;
  } catch {
    return false;
  }
}

/** Options of {@linkcode spawnTool}. */
export interface SpawnToolOptions {
  /** Appends the program's output here. */
  logFile: string;
  /** Run it detached (it outlives this process, as with `cqkd startup`). @default {false} */
  detached?: boolean;
}

/**
 * Starts a monitoring program with `args`, its output appended to a log file. Through `sh -c exec`, so that the
 * program writes to the file itself and does not depend on this process (a detached one outlives `cqkd startup`).
 * @throws {ToolMissingError} when it is not installed
 */
export function spawnTool(tool: MonitoringTool, args: readonly string[], options: SpawnToolOptions): Deno.ChildProcess {
  if (!toolInstalled(tool)) throw new ToolMissingError(tool);
  return new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$0" "$@" >>"$CQKD_TOOL_LOG" 2>&1', MONITORING_TOOLS[tool].path, ...args],
    env: { CQKD_TOOL_LOG: options.logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: options.detached ?? false,
  }).spawn();
}
