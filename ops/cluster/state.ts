import { join } from "node:path";
import type { PortRange } from "../../core/ports/mod.ts";
import type { MonitoringRecord } from "../monitoring/mod.ts";
import type { ClusterPorts, ClusterShape } from "./plan.ts";

/** A host process of a running cluster, as the state file records it. */
export interface HostRecord {
  name: string;
  pid: number;
  controlPort: number;
  logFile: string;
  workerPorts?: PortRange;
}

/** The state file of a local cluster: enough for `status`, `verify` and `shutdown` to find every process. */
export interface ClusterState {
  version: 1;
  startedAt: string;
  /** Bearer token of the host processes' control API. */
  token: string;
  shape: ClusterShape;
  ports: ClusterPorts & { workers: PortRange };
  hosts: HostRecord[];
  /** Prometheus and Alertmanager, when `cqkd startup --monitoring` started them. */
  monitoring?: MonitoringRecord[];
  /** The keyring every node seals its datagrams with, when the cluster runs in secure mode. */
  clusterKeyFile?: string;
  /** How the host processes were started, so that `cqkd emergency recover` can start a dead one the same way. */
  hostArgs?: HostArgs;
  /** Nodes taken out of every routing table by `cqkd emergency isolate` (their ids stay blocked). */
  isolated?: Array<{ id: string; name: string }>;
  /** Set by `cqkd emergency fallback`: the cluster joins through the static fallback list. */
  fallback?: FallbackMode;
  /** Set by `cqkd emergency shutdown`: every process was stopped at once and the state kept for a later recover. */
  stoppedAt?: string;
}

/** What every host process of a cluster is started with, besides its name and port range. */
export interface HostArgs {
  /** Global cqkd arguments (`--config`, `--set`). */
  globalArgs: string[];
  heartbeatMs?: number;
}

/**
 * Fallback mode (the `enable_fallback_mode` setting): nodes (re)join through the static `fallback_bootstrap_nodes`
 * instead of the bootstrap tiers, and a worker started again binds a static port from `fallback_static_port` up
 * instead of one from its host's dynamic registry.
 */
export interface FallbackMode {
  since: string;
  /** The static bootstrap list (host:port). */
  peers: string[];
  /** First static port. */
  staticPort: number;
}

/** Raised when the state file exists but cannot be used. */
export class StateFileError extends Error {
  override name = "StateFileError";
}

/** Writes JSON so that a reader never sees half a file: to a temporary file, then renamed over the target. */
export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  const temporary = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(value, null, 2) + "\n", { mode });
  await Deno.rename(temporary, path);
}

/**
 * The state directory of the local cluster (`state_dir`): the state file, the startup lock, ready files and logs.
 */
export class StateDir {
  constructor(readonly dir: string) {}

  get statePath(): string {
    return join(this.dir, "cluster.json");
  }
  get lockPath(): string {
    return join(this.dir, "cluster.lock");
  }
  /** Prometheus's targets file of the cluster (`targets.json`), and with `--monitoring` its configs and data. */
  get monitoringDir(): string {
    return join(this.dir, "monitoring");
  }
  get logsDir(): string {
    return join(this.dir, "logs");
  }
  readyPath(host: string): string {
    return join(this.dir, `${host}.ready.json`);
  }
  logPath(host: string): string {
    return join(this.logsDir, `${host}.log`);
  }

  async ensure(): Promise<void> {
    await Deno.mkdir(this.logsDir, { recursive: true });
  }

  /** The recorded cluster, or `undefined` when none is. @throws {StateFileError} when the file is unreadable */
  async read(): Promise<ClusterState | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.statePath);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new StateFileError(`Cannot read ${this.statePath}: ${(error as Error).message}`);
    }
    try {
      const state = JSON.parse(text);
      if (state?.version !== 1 || !Array.isArray(state.hosts)) throw new Error("not a cqkd cluster state (version 1)");
      return state as ClusterState;
    } catch (error) {
      throw new StateFileError(
        `The state file ${this.statePath} is damaged (${(error as Error).message}); stop any cqkd host processes ` +
          "by hand and remove it",
      );
    }
  }

  write(state: ClusterState): Promise<void> {
    return writeJsonAtomic(this.statePath, state);
  }

  /** Removes the state file and the hosts' ready files; logs stay for later reading. */
  async clear(hosts: readonly string[]): Promise<void> {
    for (const path of [this.statePath, ...hosts.map((h) => this.readyPath(h))]) {
      await Deno.remove(path).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  }

  /**
   * Takes the startup lock, so that two `cqkd startup` runs never build two half-clusters. A lock left by a
   * process that no longer runs is taken over.
   * @throws {StateFileError} when another live process holds it
   */
  async lock(): Promise<{ release: () => Promise<void> }> {
    await this.ensure();
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await Deno.writeTextFile(this.lockPath, `${Deno.pid}\n`, { createNew: true });
        return { release: () => Deno.remove(this.lockPath).catch(() => {}) };
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        const holder = Number((await Deno.readTextFile(this.lockPath).catch(() => "")).trim());
        if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
          throw new StateFileError(
            `Another cqkd command (pid ${holder}) is starting a cluster in ${this.dir}; wait for it to finish`,
          );
        }
        await Deno.remove(this.lockPath).catch(() => {});
      }
    }
    throw new StateFileError(`Cannot take the lock ${this.lockPath}`);
  }
}

/** Whether a process runs (and is not a zombie), from /proc. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Whether `pid` is the cqkd host process named `name` (and not an unrelated process that reused the pid). */
export function isHostProcess(pid: number, name: string): boolean {
  if (!processAlive(pid)) return false;
  try {
    const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    const at = argv.indexOf("--name");
    return argv.includes("host") && at >= 0 && argv[at + 1] === name;
  } catch {
    return false;
  }
}

/** Resident memory of a process in MiB (VmRSS), or 0 when it is gone. */
export function residentMb(pid: number): number {
  try {
    const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n").find((l) => l.startsWith("VmRSS:"));
    return line === undefined ? 0 : Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return 0;
  }
}
