/**
 * `deno task sim:sweep --scenario churn --nodes 500 --seeds 1000 [--from 1] [--parallel 2] [--json]`: runs one
 * scenario for many seeds (each in a fresh process) and lists the seeds whose run broke an invariant, each
 * with the command that replays it. Exit status 1 when any seed failed.
 */
import { paramsFrom } from "./cli.ts";
import { replayCommand, type ScenarioParams, type SimReport } from "./scenario.ts";

/** A seed whose run broke an invariant (or crashed). */
export interface FailedSeed {
  seed: number;
  reason: string;
  replay: string;
}

/** The flags of `deno task sim` that give `params`. */
function argsOf(params: ScenarioParams): string[] {
  return replayCommand(params).split(" ").slice(3);
}

/** Runs `params` in a fresh process (module state such as interned ids starts empty, as in `deno task sim`). */
export async function runIsolated(params: ScenarioParams): Promise<SimReport> {
  const cli = new URL("./cli.ts", import.meta.url).pathname;
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--max-semi-space-size=64,--expose-gc", cli, ...argsOf(params), "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (!text.startsWith("{")) throw new Error(new TextDecoder().decode(stderr).trim().split("\n").at(-1));
  return JSON.parse(text) as SimReport;
}

/** Runs seeds `from` .. `from + count - 1`, `parallel` at a time; resolves with the failed ones, in seed order. */
export async function sweep(
  base: Omit<ScenarioParams, "seed">,
  from: number,
  count: number,
  parallel: number,
  onReport?: (report: SimReport) => void,
): Promise<FailedSeed[]> {
  const failed: FailedSeed[] = [];
  let next = from;
  const lane = async () => {
    while (next < from + count) {
      const params = { ...base, seed: next++ };
      try {
        const report = await runIsolated(params);
        onReport?.(report);
        if (report.invariant !== undefined) {
          failed.push({ seed: params.seed, reason: report.invariant, replay: replayCommand(params) });
        }
      } catch (error) {
        failed.push({
          seed: params.seed,
          reason: `crashed: ${(error as Error).message}`,
          replay: replayCommand(params),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  return failed.sort((a, b) => a.seed - b.seed);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const take = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    if (at < 0) return fallback;
    const value = Number(args.splice(at, 2)[1]);
    if (!Number.isInteger(value) || value < 0) {
      console.error(`sim:sweep: ${flag} must be a whole number`);
      Deno.exit(2);
    }
    return value;
  };
  const from = take("--from", 1);
  const parallel = take("--parallel", 2);
  const { json, seeds, seed: _, ...base } = paramsFrom(args);
  const started = performance.now();
  let done = 0;
  const failed = await sweep(base, from, seeds, parallel, (r) => {
    done++;
    if (!json) console.error(`seed ${r.seed}: ${r.invariant === undefined ? "ok" : "FAILED"} (${r.wall_s} s)`);
  });
  const summary = {
    scenario: base.scenario,
    nodes: base.nodes,
    seeds: done,
    from,
    failed: failed.length,
    failing: failed,
    wall_s: Math.round(performance.now() - started) / 1000,
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    console.log(`${failed.length} of ${done} seeds failed in ${summary.wall_s} s`);
    for (const f of failed) console.log(`seed ${f.seed}: ${f.reason}\n  replay: ${f.replay}`);
  }
  if (failed.length > 0) Deno.exit(1);
}
