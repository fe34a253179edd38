import type { Command } from "commander";
import { DEFAULT_IMAGE } from "../deploy/container.ts";
import { CommandError } from "../exit_codes.ts";
import { buildImage } from "./build.ts";
import { PROJECT_LABEL } from "./compose_stack.ts";
import { EngineError } from "./engine.ts";
import { HealthcheckRunner } from "./healthchecks.ts";

/** The repository this program runs from: what `cqkd image build` puts in the image. */
const REPOSITORY = new URL("../..", import.meta.url).pathname;

/**
 * Adds `cqkd image build` (the local image, from scratch, with podman) and `cqkd image healthchecks` (runs the
 * health checks of a compose project's containers where podman has no systemd to run them).
 */
export function addImageCommands(program: Command): void {
  const image = program.command("image").description("the cqkd container image built here, with podman");
  image.command("build")
    .description("build the image from this machine's deno, its libraries, the source and cached npm dependencies")
    .option("-t, --tag <name>", "image name", DEFAULT_IMAGE)
    .option("--json", "print the result as JSON")
    .action(async (flags: { tag: string; json?: boolean }) => {
      const built = await engineStep(() => buildImage({ source: REPOSITORY, tag: flags.tag }));
      if (flags.json) return console.log(JSON.stringify(built));
      console.log(`Built ${built.names.join(", ")}: ${(built.bytes / 1e6).toFixed(1)} MB, ${built.id.slice(0, 12)}`);
    });
  image.command("healthchecks")
    .description("run the health checks of a compose project's containers until interrupted (podman without systemd)")
    .requiredOption("-p, --project <name>", "compose project name")
    .action(async (flags: { project: string }) => {
      const stop = new AbortController();
      Deno.addSignalListener("SIGINT", () => stop.abort());
      Deno.addSignalListener("SIGTERM", () => stop.abort());
      await using runner = new HealthcheckRunner({ filters: [`label=${PROJECT_LABEL}=${flags.project}`] });
      console.error(`Running the health checks of compose project ${flags.project}; Ctrl-C stops`);
      await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
      console.error(`${runner.checks} health checks run`);
      Deno.exit(0);
    });
}

async function engineStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof EngineError) throw new CommandError(`Cannot build the image: ${error.message}`);
    throw error;
  }
}
