import type { Command } from "commander";
import { type GlobalOptions, settingsFromCli } from "../cli_settings.ts";
import { RunningCluster } from "../cluster/cluster.ts";
import { StateDir } from "../cluster/state.ts";
import { CommandError } from "../exit_codes.ts";
import { consoleUrl } from "./url.ts";

/** Adds `cqkd console`: prints the running cluster's console address and opens it in a browser where there is one. */
export function addConsoleCommand(program: Command): void {
  program.command("console")
    .description("print the web console's address of the running local cluster and open it in a browser")
    .option("--no-open", "only print the address")
    .option("--with-token", "hand the cluster's write token to the page (in the address's #fragment, never sent)")
    .action(async (flags: { open: boolean; withToken?: boolean }, command: Command) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const dir = new StateDir(settings.state_dir);
      const cluster = await RunningCluster.open(dir);
      const alive = new Set(cluster?.alive().map((c) => c.record.name));
      const url = cluster && consoleUrl(cluster.state.hosts, (name) => alive.has(name));
      if (cluster === undefined || url === undefined) {
        throw new CommandError(`No cluster is running (state: ${dir.statePath}): start one with \`cqkd startup\``);
      }
      const address = flags.withToken ? `${url}#token=${encodeURIComponent(cluster.state.token)}` : url;
      console.log(address);
      if (flags.open && hasDisplay()) await openInBrowser(address);
    });
}

function hasDisplay(): boolean {
  return Boolean(Deno.env.get("DISPLAY") || Deno.env.get("WAYLAND_DISPLAY"));
}

/** Hands the address to the desktop's browser (xdg-open); without one, the printed address is enough. */
async function openInBrowser(url: string): Promise<void> {
  try {
    const child = new Deno.Command("xdg-open", { args: [url], stdout: "null", stderr: "null" }).spawn();
    await child.status;
  } catch {
    // No xdg-open: the address is printed.
  }
}
