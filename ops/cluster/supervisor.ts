import { basename } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { PortRange } from "../../core/ports/mod.ts";
import { AdminClient } from "../admin_client.ts";
import type { HostAppType } from "./host_api.ts";
import { type HostReady, TOKEN_ENV } from "./host_protocol.ts";
import { ALICE_BOB_HOST } from "./plan.ts";
import { type HostRecord, isHostProcess, type StateDir } from "./state.ts";

/** Raised when a host process does not come up, or does not exit. */
export class HostError extends Error {
  override name = "HostError";
}

/**
 * V8 flags of a host process of many nodes: a young generation of 8 MB (V8's default grows it to 16–32 MB per
 * process), and an old generation allowed to grow by half its live size between collections (V8 let a host of 1250
 * nodes hold 300 MB for 100 MB of live objects: 440 MB resident, 285 MB with the flag, for a fifth more CPU). Not
 * `--optimize-for-size`: it quadrupled the CPU of a host of 1250 nodes (garbage collection took a third of its time;
 * 2500 workers did not start in 300 s with it, and did in 65 s without it).
 */
export const COMPACT_HOST_V8_FLAGS = "--max-semi-space-size=8,--min-semi-space-size=8,--heap-growing-percent=50";

/** Environment variable naming a directory where every host process started from here writes a CPU profile. */
export const HOST_CPU_PROFILE_ENV = "CQKD_HOST_CPU_PROFILE";

/**
 * How to run this program again: the compiled `cqkd` binary runs itself; under `deno run` the runtime needs the
 * script, its config and the same permissions. `compact` (the default) sizes the heap for a host of thousands of
 * nodes; the host of Alice and Bob holds two and does every session's key work, so it keeps V8's defaults (with the
 * small young generation, garbage collection took a sixth of its time under bench:keyrate). With
 * {@linkcode HOST_CPU_PROFILE_ENV} set to a directory, each host process writes a V8 CPU profile there when it exits.
 */
export function selfCommand(options: { compact?: boolean } = {}): { command: string; args: string[] } {
  const command = Deno.execPath();
  const profileDir = Deno.env.get(HOST_CPU_PROFILE_ENV);
  if (!/^deno(\.exe)?$/.test(basename(command))) return { command, args: [] };
  return {
    command,
    args: [
      "run",
      "--quiet",
      `--config=${fromFileUrl(new URL("../../deno.json", import.meta.url))}`,
      ...(options.compact ?? true ? [`--v8-flags=${COMPACT_HOST_V8_FLAGS}`] : []),
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      // All: reading /proc/<pid> (liveness, memory, the open-files limit) needs --allow-all in Deno 2.
      "--allow-all",
      fromFileUrl(new URL("../../main.ts", import.meta.url)),
    ],
  };
}

/** Options of {@linkcode spawnHost}. */
export interface SpawnHostOptions {
  name: string;
  state: StateDir;
  token: string;
  /** Global cqkd arguments to pass on (`--config`, `--set`), so that the host runs with the same settings. */
  globalArgs: readonly string[];
  workerPorts?: PortRange;
  heartbeatMs?: number;
  /** Give up when the host is not ready after this long. @default {30000} */
  readyTimeoutMs?: number;
}

/**
 * Starts a detached host process (`cqkd host`) and waits until its control API listens (it writes its ready
 * file), or until it exits, whichever comes first.
 * @throws {HostError} when it exits or times out first; the message points to its log
 */
export async function spawnHost(options: SpawnHostOptions): Promise<HostRecord> {
  const { name, state } = options;
  const readyFile = state.readyPath(name);
  const logFile = state.logPath(name);
  await Deno.remove(readyFile).catch(() => {});
  const self = selfCommand({ compact: name !== ALICE_BOB_HOST });
  const args = [
    ...self.args,
    ...options.globalArgs,
    "host",
    "--name",
    name,
    "--ready-file",
    readyFile,
    "--log-file",
    logFile,
    ...(options.workerPorts ? ["--ports", `${options.workerPorts.first}-${options.workerPorts.last}`] : []),
    ...(options.heartbeatMs ? ["--heartbeat-ms", String(options.heartbeatMs)] : []),
  ];
  const child = new Deno.Command(self.command, {
    args,
    env: { [TOKEN_ENV]: options.token },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((status) => exited = status);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    const ready = await readReady(readyFile);
    if (ready !== undefined) {
      return { name, pid: ready.pid, controlPort: ready.controlPort, logFile, workerPorts: options.workerPorts };
    }
    if (exited !== undefined) {
      throw new HostError(`Host process ${name} exited with code ${exited.code} before it was ready; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  throw new HostError(
    `Host process ${name} was not ready after ${options.readyTimeoutMs ?? 30_000} ms; see ${logFile}`,
  );
}

async function readReady(path: string): Promise<HostReady | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as HostReady;
  } catch {
    return undefined;
  }
}

/** A client of one host process's control API (on 127.0.0.1, with the cluster's token). */
export class HostClient extends AdminClient<HostAppType> {
  constructor(readonly record: HostRecord, override readonly token: string) {
    super(`http://127.0.0.1:${record.controlPort}`, { token, label: `Host process ${record.name}` });
  }
}

/** Options of {@linkcode stopHost}. */
export interface StopHostOptions {
  /** How long the process may take to stop its nodes after the request. @default {10000} */
  graceMs?: number;
  /** Skip the request and the grace time: SIGTERM at once (the host still closes its nodes), SIGKILL 3 s later. */
  immediate?: boolean;
}

/**
 * Stops a host process: asks it to shut down (it stops its nodes), waits for it to exit, then escalates to SIGTERM
 * and SIGKILL. A pid that is no longer this host (gone, or reused by another program) is left alone.
 * @returns how the process ended
 */
export async function stopHost(
  client: HostClient,
  options: StopHostOptions = {},
): Promise<"stopped" | "terminated" | "killed"> {
  const { pid, name } = client.record;
  if (!isHostProcess(pid, name)) return "stopped";
  if (!options.immediate) {
    await client.call((api, o) => api.shutdown.$post({}, o), 5000).catch(() => {});
    if (await exitedWithin(pid, name, options.graceMs ?? 10_000)) return "stopped";
  }
  for (const [signal, outcome] of [["SIGTERM", "terminated"], ["SIGKILL", "killed"]] as const) {
    try {
      Deno.kill(pid, signal);
    } catch { /* exited meanwhile */ }
    if (await exitedWithin(pid, name, 3000)) return outcome;
  }
  throw new HostError(`Host process ${name} (pid ${pid}) does not exit even after SIGKILL`);
}

async function exitedWithin(pid: number, name: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isHostProcess(pid, name)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
