import type { Settings } from "../../core/config/mod.ts";
import { Logger } from "../../core/log.ts";
import { CqkdMetrics } from "../../core/metrics/mod.ts";
import { parsePeer } from "../../core/net/mod.ts";
import type { PortRange } from "../../core/ports/mod.ts";
import { secureNodeOptions } from "../secure_mode.ts";
import { clusterStatus } from "../status.ts";
import { Fleet } from "./fleet.ts";
import { adminAccessFrom } from "../admin/mod.ts";
import { hostApp } from "./host_api.ts";
import { ClusterBackend } from "../console/cluster_backend.ts";
import { KeyDeliveryHost } from "./key_delivery_route.ts";
import { writeJsonAtomic } from "./state.ts";
import type { HostReady } from "./host_protocol.ts";

/** Options of {@linkcode runHost}. */
export interface RunHostOptions {
  name: string;
  settings: Settings;
  /** File to write {@linkcode HostReady} to once the control API listens. */
  readyFile: string;
  /** Log file (appended to); the process runs detached, with no terminal. */
  logFile: string;
  token: string;
  workerPorts?: PortRange;
  heartbeatMs?: number;
}

/**
 * A host process of the local cluster (`cqkd host`): a {@linkcode Fleet} of nodes driven through the control API
 * on 127.0.0.1, until POST /shutdown, SIGTERM or SIGINT stops every node and the process ends.
 */
export async function runHost(options: RunHostOptions): Promise<void> {
  // Owner-only: the log names sessions, workers and peers of key exchanges.
  const logFile = await Deno.open(options.logFile, { append: true, create: true, mode: 0o600 });
  await Deno.chmod(options.logFile, 0o600);
  const encoder = new TextEncoder();
  const log = new Logger(options.settings.log_level, {
    prefix: options.name,
    write: (line) => logFile.writeSync(encoder.encode(line + "\n")),
  });
  // Detached, an uncaught error would vanish with the terminal it never had: put it in the log.
  globalThis.addEventListener("unhandledrejection", (event) => {
    log.error(`unhandled: ${event.reason?.stack ?? event.reason}`);
    event.preventDefault();
  });
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, stop);
  const metrics = new CqkdMetrics();
  const { secure } = await secureNodeOptions(options.settings);
  const access = await adminAccessFrom(options.settings, {
    extraTokens: [{ name: "cluster", scope: "write", token: options.token }],
    onAuditError: (error) => log.warn(error.message),
  });
  const fleet = new Fleet({
    settings: options.settings,
    audit: access.audit,
    ...(secure ? { secure } : {}),
    log,
    metrics,
    ...(options.workerPorts ? { workerPorts: options.workerPorts } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  metrics.observe(fleet);
  const keyDelivery = new KeyDeliveryHost({
    stateDir: options.settings.state_dir,
    alice: () => fleet.protocol("alice")?.alice,
    bob: () => fleet.protocol("bob")?.bob,
    metrics,
  });
  const app = hostApp(fleet, {
    name: options.name,
    token: options.token,
    ...access,
    onShutdown: stop,
    metrics,
    fallbackPeers: options.settings.fallback_bootstrap_nodes.map(parsePeer),
    clusterView: () => clusterStatus(options.settings),
    console: new ClusterBackend(options.settings, {
      entries: () => fleet.running(),
      roles: () => fleet.countsByRole(),
    }),
    keyDelivery,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const ready: HostReady = {
    name: options.name,
    pid: Deno.pid,
    controlPort: server.addr.port,
    idleRssBytes: Deno.memoryUsage().rss,
  };
  await writeJsonAtomic(options.readyFile, ready);
  // The ready file goes when the cluster's state is cleared: a host whose file is gone has been abandoned (a killed
  // startup, a removed state directory) and stops instead of living on as an orphan.
  const watchdog = setInterval(() => {
    try {
      Deno.statSync(options.readyFile);
    } catch {
      log.warn(`${options.readyFile} is gone: this host was abandoned, stopping`);
      stop();
    }
  }, 5000);
  log.info(`host ${options.name} (pid ${Deno.pid}) control API on 127.0.0.1:${server.addr.port}`);
  await stopped;
  clearInterval(watchdog);
  log.info("stopping");
  await keyDelivery[Symbol.asyncDispose]();
  const count = await fleet.stopAll();
  await server.shutdown();
  log.info(`stopped ${count} nodes`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.removeSignalListener(signal, stop);
  logFile.close();
}
