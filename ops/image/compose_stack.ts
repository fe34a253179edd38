/**
 * A compose project run by docker-compose against podman's Docker-compatible API: podman serves the API on a socket
 * of its own, docker-compose (v1, Debian's) drives it, and {@linkcode HealthcheckRunner} runs the health checks that
 * systemd would, so that `depends_on: condition: service_healthy` gates the start order as it does under Docker.
 */
import { join } from "node:path";
import { type CommandOutput, engineEnv, run } from "./engine.ts";
import { HealthcheckRunner } from "./healthchecks.ts";

/** Label docker-compose puts on every container, network and volume of a project. */
export const PROJECT_LABEL = "com.docker.compose.project";

/** Options of {@linkcode ComposeStack.start}. */
export interface StackOptions {
  /** The compose file. */
  file: string;
  /** The compose project name (prefix of container names). */
  project: string;
  /** A directory for podman's API socket. */
  runDir: string;
  /** Runs podman's API service through this command, e.g. `["ip", "netns", "exec", "ns"]` to put every container
   * network, published port and firewall rule in that network namespace. @default none */
  wrapper?: readonly string[];
  /** Environment of docker-compose (values the compose file substitutes, such as CQKD_ADMIN_TOKEN). */
  env?: Record<string, string>;
}

/** A podman API service with a compose project on it; disposing takes the project down and stops the service. */
export class ComposeStack implements AsyncDisposable {
  readonly #service: Deno.ChildProcess;
  readonly #health: HealthcheckRunner;

  private constructor(readonly options: StackOptions, readonly socket: string, service: Deno.ChildProcess) {
    this.#service = service;
    this.#health = new HealthcheckRunner({ filters: [`label=${PROJECT_LABEL}=${options.project}`] });
  }

  /** Starts podman's API service and waits for its socket. */
  static async start(options: StackOptions): Promise<ComposeStack> {
    const socket = join(options.runDir, "podman.sock");
    const [program, ...args] = [
      ...options.wrapper ?? [],
      "podman",
      "system",
      "service",
      "--time=0",
      `unix://${socket}`,
    ];
    const service = new Deno.Command(program!, {
      args,
      env: engineEnv(),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const stack = new ComposeStack(options, socket, service);
    for (let waited = 0; !(await exists(socket)); waited += 100) {
      if (waited > 30_000) {
        await stack.#stopService();
        throw new Error(`podman system service did not open ${socket} within 30 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return stack;
  }

  /**
   * `docker-compose --compatibility -p PROJECT -f FILE ARGS` (compatibility: `deploy` replicas and limits apply),
   * ended after `timeoutS` (docker-compose waits without end for a dependency that stays "starting").
   */
  compose(args: string[], timeoutS = 300): Promise<CommandOutput> {
    const { file, project, env } = this.options;
    return run("docker-compose", ["--compatibility", "--ansi", "never", "-p", project, "-f", file, ...args], {
      env: { DOCKER_HOST: `unix://${this.socket}`, COMPOSE_HTTP_TIMEOUT: String(timeoutS), ...env },
      check: false,
      signal: AbortSignal.timeout(timeoutS * 1000),
    });
  }

  /** `podman ARGS` in the service's network namespace (where the project's networks are), its standard output. */
  async podman(args: string[]): Promise<string> {
    const [program, ...wrapper] = [...this.options.wrapper ?? [], "podman"];
    return (await run(program!, [...wrapper, ...args])).stdout;
  }

  /** Health checks run so far by the runner that stands in for systemd. */
  get healthChecks(): number {
    return this.#health.checks;
  }

  /** When the first passing health check of container `name` started (ms since the epoch), if one did. */
  firstPassingCheck(name: string): number | undefined {
    return this.#health.firstPass(name);
  }

  async #stopService(): Promise<void> {
    try {
      this.#service.kill("SIGTERM");
    } catch { /* already gone */ }
    await this.#service.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.compose(["down", "--volumes", "--timeout", "5"]).catch(() => undefined);
    await this.#health[Symbol.asyncDispose]();
    await this.#stopService();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
