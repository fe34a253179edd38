/**
 * What the console's browser tests and `deno task screenshots` share: a real local cluster started with the CLI,
 * and Debian's chromium driven by puppeteer-core (headless, a fresh profile, no network besides 127.0.0.1).
 */
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { ClusterState } from "../ops/cluster/state.ts";
import { cqkd, freePorts } from "./_cli.ts";

/** A local cluster started for a browser test. */
export interface TestCluster extends AsyncDisposable {
  stateDir: string;
  /** The global arguments that point the CLI at it. */
  args: string[];
  state: ClusterState;
  url: string;
}

/** Starts a local cluster of `workers` workers (2 super, 4 regional, 8 local bootstrap nodes) on free ports. */
export async function startTestCluster(workers: number): Promise<TestCluster> {
  const stateDir = await Deno.makeTempDir({ prefix: "cqkd-console-test-" });
  const bootstrapPort = freePorts(16);
  const workerBase = freePorts(workers + 10);
  const args = ["--set", `state_dir=${stateDir}`, "--set", `base_port=${workerBase}`];
  args.push("--set", `max_port=${workerBase + workers + 9}`, "--set", "log_level=warn");
  const shape = ["--workers", String(workers), "--super", "2", "--regional", "4", "--local", "8"];
  const ports = ["--bootstrap-port", String(bootstrapPort), "--alice-port", String(bootstrapPort + 14)];
  // No key pool: its first fill runs four sessions at once over the same 50 workers, and a key exchange started from
  // the page would wait behind them (the pool has tests of its own).
  const run = await cqkd([
    ...args,
    "startup",
    ...shape,
    "--per-host",
    String(Math.ceil(workers / 2)),
    ...ports,
    "--no-kme",
  ]);
  const stop = async () => {
    await cqkd([...args, "shutdown", "--settle-timeout", "2"]);
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  };
  const url = run.stdout.match(/^Console: (http:\/\/\S+)/m)?.[1];
  if (run.code !== 0 || url === undefined) {
    await stop();
    throw new Error(`cqkd startup failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  const state = JSON.parse(await Deno.readTextFile(join(stateDir, "cluster.json"))) as ClusterState;
  return { stateDir, args, state, url, [Symbol.asyncDispose]: stop };
}

/** Debian's chromium, headless, with a fresh profile that is removed on close. */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const profile = await Deno.makeTempDir({ prefix: "cqkd-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
    ],
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  });
}

/**
 * `page.waitForFunction` that polls every 100 ms. Its default polls on animation frames, which a headless chromium
 * short of CPU may stop producing: the condition was then never looked at again and the wait timed out although the
 * page already showed it (the console test failed so under the full suite's load).
 */
export function untilInPage<Params extends unknown[]>(
  page: Page,
  condition: (...args: Params) => unknown,
  options: { timeout?: number } = {},
  ...args: Params
): Promise<unknown> {
  return page.waitForFunction(condition as (...args: unknown[]) => unknown, { polling: 100, ...options }, ...args);
}
