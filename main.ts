/**
 * `cqkd`: one binary for every node role, the DHT client and the ops procedures of a CQKD network.
 * This file only builds the command tree; the work is in ops/ and roles/.
 *
 * @module
 */
import { Argument, Command, CommanderError, Option } from "commander";
import { ConfigError } from "./core/config/mod.ts";
import { listFields, showSettings } from "./ops/config_report.ts";
import {
  type ClientContext,
  type ClientOutput,
  dhtFindNode,
  dhtGet,
  dhtPing,
  dhtPut,
  VALUE_TYPES,
  type ValueType,
} from "./ops/dht_client.ts";
import { CommandError, EXIT } from "./ops/exit_codes.ts";
import { type GlobalOptions, settingsFromCli } from "./ops/cli_settings.ts";
import { addClusterCommands } from "./ops/cluster_cli.ts";
import { addDeployCommands } from "./ops/deploy/mod.ts";
import { addDiagnoseCommands } from "./ops/diagnose/mod.ts";
import { addEmergencyCommands } from "./ops/emergency/mod.ts";
import { addSecurityCommands } from "./ops/security_cli.ts";
import { audited } from "./ops/audit/mod.ts";
import { addBootstrapSecretCommands } from "./ops/bootstrap_secret_cli.ts";
import { runNode } from "./ops/node_runner.ts";
import { addKmeCommands } from "./ops/kme/kme_cli.ts";
import { addKeyringCommands } from "./ops/secret_cli.ts";
import { NODE_ROLES, type NodeRole } from "./roles/mod.ts";

const VERSION = "0.1.0";

/** Options of the commands that start or act as a node. */
interface NodeFlags {
  port?: string;
  host?: string;
  bootstrap?: string;
  json?: boolean;
}

export function buildProgram(): Command {
  const program = new Command("cqkd")
    .description("CQKD network: a Kademlia DHT on which Alice and Bob agree on a key by a distributed BB84 simulation")
    .version(VERSION)
    .option("-c, --config <file>", "YAML settings file (defaults < file < environment < flags)")
    .option(
      "--set <name=value>",
      "override a setting, repeatable, e.g. --set ksize=30 (see `cqkd config fields`)",
      (assignment: string, previous: string[]) => [...previous, assignment],
      [] as string[],
    )
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  program.command("node")
    .description("run one node of the given role in the foreground until SIGINT/SIGTERM")
    .addArgument(new Argument("<role>", "node role").choices(NODE_ROLES))
    .option("-p, --port <port>", "UDP port (default: the role's port, e.g. 5678 for super-bootstrap; 0 = any)")
    .option("--host <address>", "address to bind (default 127.0.0.1)")
    .option("-b, --bootstrap <host:port,...>", "nodes to join through (default: the super bootstrap nodes)")
    .option("--json", "print JSON events on stdout")
    .action(async (role: NodeRole, flags: NodeFlags, command: Command) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>(), nodeFlags(flags));
      const args = { role, name: settings.node_name || undefined, host: settings.bind_host, port: settings.dht_port };
      await audited(settings, "node", args, () => runNode(role, settings, { json: flags.json }));
    });

  const dht = program.command("dht").description("act on the DHT as a short-lived client node");
  const clientCommand = (name: string, description: string) =>
    dht.command(name).description(description)
      .option(
        "-b, --bootstrap <host:port,...>",
        "nodes to reach the network through (default: the super bootstrap nodes)",
      )
      .option("--json", "print the result as JSON")
      .option("--timeout <seconds>", "give up after this long", "30");
  clientCommand("ping", "ping the node at an address and print its id")
    .argument("<address>", "host:port of the node")
    .action(client((context, [address]) => dhtPing(context, address!)));
  clientCommand("put", "store a value under a key on the k closest nodes")
    .argument("<key>", "the key (any string; the DHT key is its SHA-1)")
    .argument("<value>", "the value")
    .addOption(new Option("-t, --type <type>", "how to read the value").choices(VALUE_TYPES).default("string"))
    .action(client((context, [key, value], flags) =>
      audited(
        context.settings,
        "dht put",
        { key, type: flags.type },
        () => dhtPut(context, key!, value!, flags.type as ValueType),
        { failure: (output) => output.exitCode === EXIT.ok ? undefined : output.text },
      )
    ));
  clientCommand("get", "print the value of a key (exit code 1 when not found)")
    .argument("<key>", "the key")
    .action(client((context, [key]) => dhtGet(context, key!)));
  clientCommand("find-node", "print the k closest nodes to an id")
    .argument("<target>", "node id (40 hex digits), or a key with --key")
    .option("-k, --key", "hash the target as a DHT key first")
    .action(client((context, [target], flags) => dhtFindNode(context, target!, flags.key === true)));

  const config = program.command("config").description("inspect and check the settings");
  config.command("show").description("print the settings in force (YAML, or JSON with --json)")
    .option("--json", "print JSON")
    .action(async (flags: { json?: boolean }, command: Command) => {
      console.log(showSettings(await settingsFromCli(command.optsWithGlobals<GlobalOptions>()), flags.json === true));
    });
  config.command("validate").description("check the settings (file, environment, flags); exit code 2 when invalid")
    .argument("[file]", "YAML file to check (default: --config)")
    .action(async (file: string | undefined, _flags: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await settingsFromCli({ ...global, config: file ?? global.config });
      console.log(`Settings are valid${file ?? global.config ? ` (${file ?? global.config})` : ""}`);
    });
  config.command("fields").description("list every setting with its default and environment variable")
    .action(() => console.log(listFields()));
  addSecurityCommands(program, config);
  addKeyringCommands(program);
  addClusterCommands(program);
  addDiagnoseCommands(program);
  addEmergencyCommands(program);
  addBootstrapSecretCommands(program);
  addDeployCommands(program);
  addKmeCommands(program);
  return program;
}

function nodeFlags(flags: NodeFlags): Record<string, unknown> {
  return { dht_port: flags.port, bind_host: flags.host, bootstrap_nodes: flags.bootstrap };
}

/** Wraps a `dht` subcommand: settings from the flags, output as text or JSON, the exit code it asks for. */
function client(
  run: (context: ClientContext, args: string[], flags: Record<string, unknown>) => Promise<ClientOutput>,
) {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const flags = command.opts<NodeFlags & { timeout: string } & Record<string, unknown>>();
    const timeoutS = Number(flags.timeout);
    if (!(timeoutS > 0)) throw new CommandError(`Invalid --timeout "${flags.timeout}": expected seconds > 0`);
    const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>(), {
      bootstrap_nodes: flags.bootstrap,
    });
    const output = await run({ settings, timeoutS }, command.processedArgs as string[], flags);
    console.log(flags.json ? JSON.stringify(output.json) : output.text);
    Deno.exitCode = output.exitCode;
  };
}

async function main(args: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(args, { from: "user" });
    return Number(Deno.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    if (error instanceof CommandError || error instanceof ConfigError) {
      console.error(`cqkd: ${error.message}`);
      return error instanceof CommandError ? error.exitCode : EXIT.error;
    }
    console.error(`cqkd: ${error instanceof Error ? error.stack : String(error)}`);
    return EXIT.error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
