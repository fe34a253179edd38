/// <reference lib="deno.worker" />
/**
 * Runs one scenario in a fresh isolate (module state such as interned ids starts empty, as in `deno task sim`),
 * so that a seed run in a sweep gives the same trace as the same seed run alone.
 */
import { runScenario, type ScenarioParams } from "./scenario.ts";

self.onmessage = async (event: MessageEvent<ScenarioParams>) => {
  try {
    self.postMessage({ report: await runScenario(event.data) });
  } catch (error) {
    self.postMessage({ error: (error as Error).stack ?? String(error) });
  }
};
