/**
 * Runs the health checks of podman containers where no systemd does. Podman schedules a container's health check
 * with a systemd timer; without systemd (these machines, CI, most containers) the check never runs, a container stays
 * "starting" forever and compose never starts what `depends_on` it being healthy. This runs
 * `podman healthcheck run` for each running container that has a check, on the container's own interval (and every
 * `startIntervalMs` while it is still starting, as Docker's `start_interval` does), so that podman records the
 * results and applies the check's retries and start period itself.
 */
import { podman } from "./engine.ts";

/** A container with a health check, as podman inspects it. */
export interface CheckedContainer {
  id: string;
  name: string;
  status: string;
  intervalMs: number;
}

/** Whether a container's check is due: never run yet, or its interval (while starting: `startIntervalMs`) elapsed. */
export function checkDue(
  container: CheckedContainer,
  lastRunMs: number | undefined,
  nowMs: number,
  startIntervalMs: number,
): boolean {
  if (lastRunMs === undefined) return true;
  const interval = container.status === "starting"
    ? Math.min(startIntervalMs, container.intervalMs)
    : container.intervalMs;
  return nowMs - lastRunMs >= interval;
}

/** A container as `podman ps --format json` lists it. */
interface Listed {
  Id: string;
  Names: string[];
  Status: string;
}

/** A container's health as `podman ps` shows it in its status ("Up 5 seconds (starting)"), if it has a check. */
export function listedHealth(status: string): string | undefined {
  return status.match(/\((starting|healthy|unhealthy)\)\s*$/)?.[1];
}

/** A container's health check interval in ms, from podman's inspection JSON (0 when it has no check). */
export function checkInterval(inspected: unknown): number {
  const check = (inspected as { Config?: { Healthcheck?: { Test?: unknown; Interval?: number } } })?.Config
    ?.Healthcheck;
  if (!Array.isArray(check?.Test) || check.Test.length === 0 || check.Test[0] === "NONE") return 0;
  return Number(check.Interval) > 0 ? Number(check.Interval) / 1e6 : 30_000;
}

/** Options of {@linkcode HealthcheckRunner}. */
export interface HealthcheckOptions {
  /** `podman ps --filter` expressions that pick the containers, e.g. `label=com.docker.compose.project=cqkd`. */
  filters: string[];
  /** Interval of the check while a container is starting (Docker's default `start_interval`). @default 5000 */
  startIntervalMs?: number;
  /** How often the containers are listed again. @default 2000 */
  tickMs?: number;
  /** Checks run at once (each starts podman and a process in its container). @default 4 */
  concurrency?: number;
}

/** Runs the health checks of the matching containers until disposed. */
export class HealthcheckRunner implements AsyncDisposable {
  readonly #options: Required<HealthcheckOptions>;
  readonly #lastRun = new Map<string, number>();
  /** Each container's check interval (inspected once per container). */
  readonly #intervals = new Map<string, number>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  readonly #loop: Promise<void>;
  /** When the first passing check of each container (by name) started, in ms since the epoch. */
  readonly #firstPass = new Map<string, number>();
  /** Checks run so far, and the last error listing the containers (a loop that keeps going reports it here). */
  checks = 0;
  lastError: Error | undefined;

  constructor(options: HealthcheckOptions) {
    this.#options = { startIntervalMs: 5000, tickMs: 2000, concurrency: 4, ...options };
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await this.#tick(signal);
        this.lastError = undefined;
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = error as Error;
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, this.#options.tickMs);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve(undefined)), { once: true });
      });
    }
  }

  async #tick(signal: AbortSignal): Promise<void> {
    const filters = this.#options.filters.flatMap((f) => ["--filter", f]);
    const listed = JSON.parse(await podman(["ps", "--format", "json", ...filters], { signal }) || "[]") as Listed[];
    const now = performance.now();
    const due: CheckedContainer[] = [];
    for (const entry of listed) {
      const status = listedHealth(entry.Status);
      if (status === undefined || this.#running.has(entry.Id)) continue;
      if (!this.#intervals.has(entry.Id)) {
        const [inspected] = JSON.parse(await podman(["inspect", "--format", "json", entry.Id], { signal }));
        this.#intervals.set(entry.Id, checkInterval(inspected));
      }
      const intervalMs = this.#intervals.get(entry.Id)!;
      const container = { id: entry.Id, name: entry.Names[0] ?? entry.Id, status, intervalMs };
      if (intervalMs > 0 && checkDue(container, this.#lastRun.get(entry.Id), now, this.#options.startIntervalMs)) {
        due.push(container);
      }
    }
    // The longest waiting first (never checked before all), so that no container starves behind others.
    due.sort((a, b) => (this.#lastRun.get(a.id) ?? -Infinity) - (this.#lastRun.get(b.id) ?? -Infinity));
    for (const container of due.slice(0, Math.max(0, this.#options.concurrency - this.#running.size))) {
      this.#check(container, now, signal);
    }
  }

  #check(container: CheckedContainer, now: number, signal: AbortSignal): void {
    this.#lastRun.set(container.id, now);
    const startedAt = Date.now();
    // A failed check (exit code 1: unhealthy) is podman's to record in the container's health status.
    const check = podman(["healthcheck", "run", container.id], { signal })
      .then(() => void (this.#firstPass.has(container.name) || this.#firstPass.set(container.name, startedAt)))
      .catch(() => undefined)
      .finally(() => (this.#running.delete(container.id), this.checks++));
    this.#running.set(container.id, check);
  }

  /**
   * When the first check of container `name` that passed started (ms since the epoch): the container was not healthy
   * before then, so whatever waited for it to be healthy cannot have started earlier.
   */
  firstPass(name: string): number | undefined {
    return this.#firstPass.get(name);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await Promise.all(this.#running.values());
  }
}
