/**
 * `deno task sim --scenario mass-join|churn|partition|tier-loss|keygen --nodes N --seed S [--json]`: one deterministic
 * simulated run of the real node code (see docs/simulation.md). Exit status 1 when an invariant broke.
 */
import { parseArgs } from "node:util";
import { runScenario, type ScenarioName, type ScenarioParams, SCENARIOS } from "./scenario.ts";

export function paramsFrom(args: string[]): ScenarioParams & { json: boolean; seeds: number } {
  const { values: f } = parseArgs({
    args,
    options: {
      scenario: { type: "string", default: "churn" },
      nodes: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      seeds: { type: "string", default: "100" },
      values: { type: "string" },
      lookups: { type: "string" },
      reach: { type: "string" },
      kill: { type: "string" },
      loss: { type: "string" },
      duplicate: { type: "string" },
      "clock-skew-ms": { type: "string" },
      stalls: { type: "string" },
      bits: { type: "string" },
      noise: { type: "string" },
      bare: { type: "boolean", default: false },
      "no-invariants": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      progress: { type: "boolean", default: false },
    },
  });
  if (!(SCENARIOS as readonly string[]).includes(f.scenario)) {
    throw new RangeError(`Unknown scenario "${f.scenario}": expected one of ${SCENARIOS.join(", ")}`);
  }
  const num = (name: string, value: string | undefined, min: number) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new RangeError(`--${name} must be a number ≥ ${min}, got "${value}"`);
    return n;
  };
  const opt = (name: string, key: keyof ScenarioParams, value: string | undefined, min = 0) => {
    const n = num(name, value, min);
    return n === undefined ? {} : { [key]: n };
  };
  return {
    scenario: f.scenario as ScenarioName,
    nodes: num("nodes", f.nodes, 10)!,
    seed: num("seed", f.seed, 0)!,
    seeds: num("seeds", f.seeds, 1)!,
    ...opt("values", "values", f.values),
    ...opt("lookups", "lookups", f.lookups),
    ...opt("reach", "reach", f.reach),
    ...opt("kill", "kill", f.kill),
    ...opt("loss", "loss", f.loss),
    ...opt("duplicate", "duplicate", f.duplicate),
    ...opt("clock-skew-ms", "clockSkewMs", f["clock-skew-ms"]),
    ...opt("bits", "bits", f.bits, 64),
    ...opt("noise", "noise", f.noise),
    ...(f.stalls === undefined ? {} : { stalls: parseStalls(f.stalls) }),
    bare: f.bare,
    invariants: !f["no-invariants"],
    json: f.json,
    ...(f.progress ? { progress: reportProgress } : {}),
  };
}

/** `--stalls P,EVERY,FOR`: P host processes, each frozen for FOR ms (mean) about every EVERY ms (mean). */
function parseStalls(text: string): { processes: number; everyMs: number; forMs: number } {
  const [processes, everyMs, forMs] = text.split(",").map(Number);
  if (!(Number.isInteger(processes) && processes! > 0 && everyMs! > 0 && forMs! > 0)) {
    throw new RangeError(`--stalls must be PROCESSES,EVERY_MS,FOR_MS (e.g. 4,2000,300), got "${text}"`);
  }
  return { processes: processes!, everyMs: everyMs!, forMs: forMs! };
}

function reportProgress(virtualS: number, events: number): void {
  const rssMb = Math.round(Deno.memoryUsage().rss / 2 ** 20);
  console.error(`sim: virtual ${virtualS.toFixed(1)} s, ${events} events, rss ${rssMb} MB`);
}

if (import.meta.main) {
  let params;
  try {
    params = paramsFrom(Deno.args);
  } catch (error) {
    console.error(`sim: ${(error as Error).message}`);
    Deno.exit(2);
  }
  const { json, seeds: _, ...p } = params;
  const report = await runScenario(p);
  if (json) console.log(JSON.stringify(report));
  else {
    for (const [key, value] of Object.entries(report)) console.log(`${key}: ${JSON.stringify(value)}`);
  }
  if (report.invariant !== undefined) {
    console.error(report.invariant);
    Deno.exit(1);
  }
}
