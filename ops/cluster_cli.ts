import { Argument, type Command } from "commander";
import { resolve } from "node:path";
import type { Settings } from "../core/config/mod.ts";
import { audited } from "./audit/mod.ts";
import { type GlobalOptions, settingsFromCli } from "./cli_settings.ts";
import { runHost } from "./cluster/host_process.ts";
import { TOKEN_ENV } from "./cluster/host_protocol.ts";
import { count, rate, seconds } from "./cli_numbers.ts";
import { CommandError, EXIT } from "./exit_codes.ts";
import { clusterKeyFile } from "./secret.ts";
import { stopCluster } from "./shutdown.ts";
import type { ClusterShape } from "./cluster/plan.ts";
import { defaultWorkersPerHost, MIN_TIERS, sizeTiers, TierSizeError } from "./cluster/sizing.ts";
import { DEFAULT_CAPACITY } from "../roles/bootstrap/mod.ts";
import { DEFAULT_SESSION_BITS, parallelSessionsFor } from "../roles/kme/mod.ts";
import { startCluster, type StartupEvent, type StartupSummary } from "./startup.ts";
import { clusterStatus } from "./status.ts";
import { StateDir } from "./cluster/state.ts";
import { consoleUrl } from "./console/url.ts";
import { formatKeygenReport, runKeygen } from "./keygen.ts";
import { formatTable } from "./table.ts";
import { VERIFY_TARGETS, verifyCluster, type VerifyTarget } from "./verify.ts";

interface StartupFlags {
  workers: string;
  super: string;
  regional: string;
  local: string;
  perHost: string;
  bootstrapPort: string;
  alicePort: string;
  heartbeatMs: string;
  checkIntervalScale: string;
  monitoring?: boolean;
  prometheusPort: string;
  alertmanagerPort: string;
  scrapeInterval: string;
  json?: boolean;
  secure?: boolean;
  kme: boolean;
  kmeNoise: string;
  kmeParallel: string;
  kmeSessionBits: string;
}

/**
 * The cluster `cqkd startup` runs: tiers sized from the workers unless fixed by flags.
 * @throws {CommandError} when fixed tiers cannot hold what hangs under them
 */
function startupShape(flags: Partial<StartupFlags>, settings: Settings): ClusterShape {
  const workers = count(flags.workers, "--workers");
  const fixed = (flag: string | undefined, name: string) => flag === undefined ? undefined : count(flag, name);
  const capacity = settings.max_connections || undefined;
  try {
    const tiers = sizeTiers(
      {
        workers,
        superCount: fixed(flags.super, "--super"),
        regionalCount: fixed(flags.regional, "--regional"),
        localCount: fixed(flags.local, "--local"),
      },
      capacity === undefined ? DEFAULT_CAPACITY : { super: capacity, regional: capacity, local: capacity },
      { ...MIN_TIERS, regionalCount: settings.regional_bootstrap_count, localCount: settings.local_bootstrap_count },
    );
    const perHost = fixed(flags.perHost, "--per-host") ?? defaultWorkersPerHost(workers);
    return { ...tiers, workers, workersPerHost: perHost };
  } catch (error) {
    if (error instanceof TierSizeError) throw new CommandError(`Cannot plan the cluster: ${error.message}`);
    throw error;
  }
}

/** Adds the local-cluster commands (`startup`, `status`, `shutdown`, `verify`, and the internal `host`). */
export function addClusterCommands(program: Command): void {
  program.command("startup")
    .description("start a local cluster on 127.0.0.1: bootstrap tiers, workers, Alice and Bob (runs in the background)")
    .option("-w, --workers <n>", "worker nodes", "1000")
    .option("--super <n>", "super bootstrap nodes (default: as many as the regional ones need, at least 4)")
    .option(
      "--regional <n>",
      "regional bootstrap nodes (default: as many as the local ones need, at least regional_bootstrap_count)",
    )
    .option(
      "--local <n>",
      "local bootstrap nodes (default: as many as the workers need, at least local_bootstrap_count)",
    )
    .option("--per-host <n>", "most workers per host process (default: 250, or more to keep to 8 worker hosts)")
    .option("--bootstrap-port <port>", "first bootstrap port (super, regional and local ports follow)", "5678")
    .option("--alice-port <port>", "Alice's port; Bob gets the next one", "6000")
    .option("--heartbeat-ms <ms>", "how often bootstrap nodes report their load to the tier above", "5000")
    .option(
      "--check-interval-scale <n>",
      "multiply the health-check intervals: one machine runs every node's checks (1 = the intervals as set)",
      "10",
    )
    .option("--monitoring", "also start Prometheus and Alertmanager (Debian packages) pointed at the cluster")
    .option("--prometheus-port <port>", "Prometheus's port with --monitoring", "9090")
    .option("--alertmanager-port <port>", "Alertmanager's port with --monitoring", "9093")
    .option("--scrape-interval <s>", "Prometheus's scrape and rule evaluation interval with --monitoring", "15")
    .option(
      "--secure",
      "seal every datagram: a cluster keyring is made in <state_dir>/cluster.key and given to every node " +
        "(cqkd verify uses it by itself; give it to cqkd dht with --set cluster_key_file=<state_dir>/cluster.key)",
    )
    .option("--no-kme", "do not start the KMEs (ETSI GS QKD 014 key delivery) and their key pool")
    .option("--kme-noise <p>", "bit-flip probability of the simulated link in the key pool's sessions", "0")
    .option(
      "--kme-parallel <n>",
      "key pool sessions at once, each on a worker set of its own (default: one per 125 workers, 2 to 8)",
    )
    .option("--kme-session-bits <n>", "bits asked of each key pool session", String(DEFAULT_SESSION_BITS))
    .option("--json", "print JSON events on stdout, one per line")
    .action(async (flags: Partial<StartupFlags>, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const keyFile = flags.secure ? await clusterKeyFile((await settingsFromCli(global)).state_dir) : undefined;
      const settings = await settingsFromCli(global, keyFile ? { cluster_key_file: keyFile } : {});
      const shapeArgs = { workers: flags.workers, super: flags.super, regional: flags.regional, local: flags.local };
      const shape = startupShape(flags, settings);
      const summary = await audited(settings, "startup", shapeArgs, () =>
        startCluster({
          settings,
          shape,
          ports: {
            bootstrapFirst: count(flags.bootstrapPort, "--bootstrap-port"),
            alice: count(flags.alicePort, "--alice-port"),
            bob: count(flags.alicePort, "--alice-port") + 1,
            workerBase: settings.base_port,
            workerMax: settings.max_port,
          },
          globalArgs: [
            ...passOn(global),
            ...(keyFile ? ["--set", `cluster_key_file=${keyFile}`] : []),
            ...scaledHealthChecks(settings, count(flags.checkIntervalScale, "--check-interval-scale")),
          ],
          heartbeatMs: count(flags.heartbeatMs, "--heartbeat-ms"),
          ...(flags.monitoring
            ? {
              monitoring: {
                prometheusPort: count(flags.prometheusPort, "--prometheus-port"),
                alertmanagerPort: count(flags.alertmanagerPort, "--alertmanager-port"),
                scrapeIntervalS: count(flags.scrapeInterval, "--scrape-interval"),
              },
            }
            : {}),
          keyDelivery: flags.kme === false ? false : {
            noise: rate(flags.kmeNoise ?? "0", "--kme-noise"),
            parallel: flags.kmeParallel === undefined
              ? parallelSessionsFor(shape.workers)
              : count(flags.kmeParallel, "--kme-parallel"),
            sessionBits: count(flags.kmeSessionBits, "--kme-session-bits"),
          },
          onEvent: flags.json ? (event) => console.log(JSON.stringify(event)) : progressPrinter(),
        }));
      const state = await new StateDir(settings.state_dir).read();
      const url = state && consoleUrl(state.hosts);
      if (flags.json) {
        if (url) console.log(JSON.stringify({ type: "console", url }));
        return;
      }
      console.log(startupTable(summary) + (url ? `\nConsole: ${url} (\`cqkd console\`)` : ""));
    });

  program.command("status")
    .description("show the local cluster: host processes, nodes per tier, memory (exit code 1 when not healthy)")
    .option("--json", "print JSON")
    .action(async (flags: { json?: boolean }, command: Command) => {
      const status = await clusterStatus(await settingsFromCli(command.optsWithGlobals<GlobalOptions>()));
      Deno.exitCode = status.healthy ? EXIT.ok : EXIT.no;
      if (flags.json) return console.log(JSON.stringify(status));
      if (!status.running) return console.log(`No cluster is running (state: ${status.stateFile})`);
      console.log(`Cluster started ${status.startedAt}: ${status.healthy ? "healthy" : "NOT healthy"}\n`);
      console.log(formatTable(
        ["tier", "ready", "expected", "failed"],
        status.tiers.map((t) => [t.tier, t.ready, t.expected, t.failed]),
      ));
      console.log();
      console.log(formatTable(
        ["host process", "pid", "alive", "nodes", "ready", "rss MB"],
        status.hosts.map((h) => [h.name, h.pid, h.alive ? "yes" : "NO", h.nodes, h.ready, h.rssMb]),
      ));
      console.log(`\n${status.rssMb} MB resident in all`);
      if (status.parameters.length > 0) {
        console.log(`\nKademlia parameters in force (estimated network size ${status.estimatedNetworkSize ?? "?"}):`);
        console.log(formatTable(
          ["alpha", "k", "timeout s", "refresh s", "nodes"],
          status.parameters.map((p) => [p.alpha, p.k, p.timeoutMs / 1000, p.refreshIntervalS, p.nodes]),
        ));
        const health = Object.entries(status.health).map(([state, n]) => `${n} ${state}`).join(", ");
        console.log(`\nContacts in the routing tables: ${health}`);
      }
    });

  program.command("shutdown")
    .description("stop the local cluster: workers, then (once settled) local and regional, then super; idempotent")
    .option("--settle-timeout <s>", "longest wait for the bootstrap nodes to release the workers' slots", "15")
    .option("--json", "print the report as JSON")
    .action(async (flags: { settleTimeout: string; json?: boolean }, command: Command) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const report = await audited(settings, "shutdown", {}, () =>
        stopCluster({
          settings,
          settleTimeoutMs: seconds(flags.settleTimeout, "--settle-timeout") * 1000,
          onEvent: flags.json ? undefined : stepPrinter(),
        }));
      if (flags.json) return console.log(JSON.stringify(report));
      if (!report.wasRunning) return console.log("No cluster is running: nothing to stop");
      const ended = [
        ...report.hosts.map((h) => [h.name, h.outcome]),
        ...report.monitoring.map((m) => [m.tool, m.outcome]),
      ];
      console.log(formatTable(["process", "ended"], ended));
      console.log(`\nCluster stopped in ${report.seconds.toFixed(1)} s`);
    });

  program.command("verify")
    .description("check the running local cluster (exit code 1 when a check fails)")
    .addArgument(new Argument("<target>", "what to check").choices(VERIFY_TARGETS))
    .option("--json", "print JSON")
    .action(async (target: VerifyTarget, flags: { json?: boolean }, command: Command) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const checks = await audited(settings, "verify", { target }, () => verifyCluster(settings, target), {
        failure: (all) =>
          all.some((c) => !c.ok) ? `failed: ${all.filter((c) => !c.ok).map((c) => c.name).join(", ")}` : undefined,
      });
      const ok = checks.every((c) => c.ok);
      Deno.exitCode = ok ? EXIT.ok : EXIT.no;
      if (flags.json) return console.log(JSON.stringify({ target, ok, checks }));
      console.log(
        formatTable(["check", "result", "detail"], checks.map((c) => [c.name, c.ok ? "ok" : "FAIL", c.detail])),
      );
      console.log(`\nverify ${target}: ${ok ? "passed" : "FAILED"}`);
    });

  program.command("keygen")
    .description("run one key exchange between Alice and Bob on the running local cluster (exit code 1 on failure)")
    .requiredOption("--bits <n>", "key length in bits")
    .option("--noise <p>", "bit-flip probability of the photon link", "0")
    .option("--eve <r>", "share of photons an intercept-resend eavesdropper measures (0..1)", "0")
    .option("--show-key", "take the key out of Alice's and Bob's key stores and print it")
    .option(
      "--collusion <t>",
      "colluding workers privacy amplification protects against (default: the collusion setting, 1)",
    )
    .option("--json", "print the report as JSON")
    .action(
      async (
        flags: { bits: string; noise: string; eve: string; showKey?: boolean; json?: boolean; collusion?: string },
        command: Command,
      ) => {
        const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
        const options = {
          bits: count(flags.bits, "--bits"),
          noise: rate(flags.noise, "--noise"),
          eve: rate(flags.eve, "--eve"),
          showKey: flags.showKey ?? false,
          ...(flags.collusion === undefined ? {} : { collusion: count(flags.collusion, "--collusion") }),
        };
        const { showKey: _, ...args } = options;
        const report = await audited(settings, "keygen", args, () => runKeygen(settings, options), {
          failure: (r) => r.ok ? undefined : r.reason ?? "the keys differ",
        });
        Deno.exitCode = report.ok ? EXIT.ok : EXIT.no;
        console.log(flags.json ? JSON.stringify(report) : formatKeygenReport(report));
      },
    );

  program.command("host", { hidden: true })
    .description("run a host process of the local cluster (started by `cqkd startup`)")
    .requiredOption("--name <name>", "host process name")
    .requiredOption("--ready-file <file>", "where to write the control port once listening")
    .requiredOption("--log-file <file>", "log file")
    .option("--ports <first-last>", "worker port range of this host")
    .option("--heartbeat-ms <ms>", "bootstrap heartbeat")
    .action(async (flags: Record<string, string>, command: Command) => {
      const token = Deno.env.get(TOKEN_ENV);
      if (!token) throw new CommandError(`cqkd host is started by cqkd startup (${TOKEN_ENV} is not set)`);
      const settings: Settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const ports = flags.ports?.match(/^(\d+)-(\d+)$/);
      await runHost({
        name: flags.name!,
        settings,
        readyFile: flags.readyFile!,
        logFile: flags.logFile!,
        token,
        ...(ports ? { workerPorts: { first: Number(ports[1]), last: Number(ports[2]) } } : {}),
        ...(flags.heartbeatMs ? { heartbeatMs: count(flags.heartbeatMs, "--heartbeat-ms") } : {}),
      });
    });
}

/** The global options again as arguments, for the host processes (a relative config path made absolute). */
function passOn(global: GlobalOptions): string[] {
  return [
    ...(global.config ? ["--config", resolve(global.config)] : []),
    ...(global.set ?? []).flatMap((assignment) => ["--set", assignment]),
  ];
}

/**
 * Settings that stretch the health-check intervals by `scale`. A real deployment runs one node per machine; the local
 * cluster runs all 1086 nodes' checks on one machine, where the intervals as set (a fast check of every contact every
 * 30 s) would keep both cores busy with pings.
 */
function scaledHealthChecks(settings: Settings, scale: number): string[] {
  if (scale < 1) throw new CommandError(`Invalid --check-interval-scale ${scale}: expected a whole number >= 1`);
  if (scale === 1) return [];
  return (["fast_check_interval", "medium_check_interval", "deep_check_interval"] as const)
    .flatMap((name) => ["--set", `${name}=${settings[name] * scale}`]);
}

/** Prints a procedure's steps (`… detail`) and warnings (`! message`) on stderr, a line each. */
export function stepPrinter(): (
  event: { type: "step"; detail: string } | { type: "warning"; message: string },
) => void {
  return (event) => console.error(event.type === "step" ? `… ${event.detail}` : `! ${event.message}`);
}

/** Shows startup progress on stderr: one updating line on a terminal, a line per finished step otherwise. */
function progressPrinter(): (event: StartupEvent) => void {
  const live = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  // On a terminal a line is rewritten in place: back to its start, then clear what the older text left.
  const write = (text: string) =>
    Deno.stderr.writeSync(encoder.encode(live ? text : text.replaceAll("\r", "").replaceAll("\x1b[K", "")));
  return (event) => {
    switch (event.type) {
      case "step":
        write(`… ${event.detail}\n`);
        break;
      case "warning":
        write(`! ${event.message}\n`);
        break;
      case "progress":
        if (live) write(`\r  ${event.tier}: ${event.ready}/${event.total} ready\x1b[K`);
        break;
      case "tier":
        write(
          `${live ? "\r" : ""}  ${event.tier}: ${event.ready}/${event.total} ready in ${
            event.seconds.toFixed(1)
          } s\x1b[K\n`,
        );
        break;
    }
  };
}

function startupTable(summary: StartupSummary): string {
  const rows = summary.tiers.map((t) => [t.tier, t.nodes, t.seconds.toFixed(2)]);
  return [
    formatTable(["tier", "nodes up", "ready in (s)"], rows),
    "",
    `${summary.nodes} nodes in ${summary.processes} host processes, up in ${summary.seconds.toFixed(1)} s; ` +
    `Alice found ${summary.lookup.found}/${summary.lookup.workers} workers by lookup` +
    (summary.lookup.secondTry > 0 ? ` (${summary.lookup.secondTry} on a second lookup 2 s later)` : ""),
    `State: ${summary.stateFile} — \`cqkd status\`, \`cqkd verify network\`, \`cqkd shutdown\``,
    `Scrape targets (admin API of each host process): ${summary.targetsFile}`,
    ...(summary.monitoring ?? []).map((m) => `${m.tool}: http://${m.address} (pid ${m.pid})`),
    ...(summary.kmes
      ? [`KMEs (ETSI GS QKD 014): kme-alice ${summary.kmes.alice}, kme-bob ${summary.kmes.bob} — \`cqkd kme info\``]
      : []),
  ].join("\n");
}
