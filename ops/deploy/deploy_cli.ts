import { type Command, Option } from "commander";
import { dirname, join, relative } from "node:path";
import { count } from "../cli_numbers.ts";
import { type GlobalOptions, settingsFromCli } from "../cli_settings.ts";
import { CommandError } from "../exit_codes.ts";
import { probeNode } from "../probe.ts";
import { COMPOSE_ENGINES, type ComposeEngine, composeYaml } from "./compose_file.ts";
import { DEFAULT_IMAGE } from "./container.ts";
import { k8sManifests, k8sYaml, keygenSecrets } from "./k8s_manifests.ts";
import { DEFAULT_VALID_DAYS, type KeygenTrust, provisionKeygenTrust, SECRETS_DIR } from "./keygen_trust.ts";
import { DEFAULT_SHAPE, planDeployment, type Topology } from "./topology.ts";

/** The deployment formats `cqkd compose generate` writes. */
export const DEPLOY_FORMATS = ["compose", "k8s"] as const;
export type DeployFormat = typeof DEPLOY_FORMATS[number];

interface GenerateFlags {
  workers: string;
  super: string;
  regional: string;
  local: string;
  format: DeployFormat;
  output?: string;
  image: string;
  engine: ComposeEngine;
  secrets?: string;
  validDays: string;
}

/** The file of the secrets directory holding Alice's and Bob's Kubernetes Secrets (`kubectl apply -f` it). */
export const K8S_SECRETS_FILE = "k8s-keygen-secrets.yaml";

/**
 * Adds the deployment commands: `compose generate` (Docker Compose, or Kubernetes with `--format k8s`),
 * `k8s generate` (the same as `--format k8s`), and `probe`, the health check the generated files run.
 */
export function addDeployCommands(program: Command): void {
  const generate = (parent: Command, format: DeployFormat, what: string) =>
    parent.command("generate").description(what)
      .option("-w, --workers <n>", "worker nodes", String(DEFAULT_SHAPE.workers))
      .option("--super <n>", "super bootstrap nodes", String(DEFAULT_SHAPE.superCount))
      .option(
        "--regional <n>",
        "regional bootstrap nodes (a multiple of 4: one per region)",
        String(DEFAULT_SHAPE.regionalCount),
      )
      .option("--local <n>", "local bootstrap nodes (a multiple of 4)", String(DEFAULT_SHAPE.localCount))
      .addOption(new Option("--format <format>", "what to write").choices(DEPLOY_FORMATS).default(format))
      .option("-o, --output <path>", "file (compose) or directory (k8s) to write; default: standard output")
      .option("--image <image>", "image of every container", DEFAULT_IMAGE)
      .addOption(
        new Option("--engine <engine>", "container engine the compose file is for (tmpfs options differ)")
          .choices(COMPOSE_ENGINES).default("docker"),
      )
      .option(
        "--secrets <dir>",
        `Alice's and Bob's identity keys, role certificates and their authority (kept when present; default: ` +
          `${SECRETS_DIR} next to --output)`,
      )
      .option("--valid-days <days>", "validity of the role certificates issued", String(DEFAULT_VALID_DAYS))
      .action(async (flags: GenerateFlags) => {
        const topology = plan(flags);
        const validDays = Number(flags.validDays);
        if (!(validDays > 0)) throw new CommandError(`Invalid --valid-days "${flags.validDays}": expected days > 0`);
        const written = flags.format === "compose"
          ? await writeCompose(topology, flags)
          : await writeK8s(topology, flags);
        if (written) console.error(written);
        const trust = await provision(secretsDir(flags), flags.format === "compose", validDays);
        if (flags.format === "k8s") await writeK8sSecrets(secretsDir(flags), trust);
      });
  generate(
    program.command("compose").description("deployment files for many hosts (Docker Compose, Kubernetes)"),
    "compose",
    "write the Docker Compose deployment (or Kubernetes manifests with --format k8s) for a network size",
  );
  generate(
    program.command("k8s").description("Kubernetes manifests (the same as cqkd compose generate --format k8s)"),
    "k8s",
    "write the Kubernetes manifests for a network size",
  );

  program.command("probe")
    .description("health check: exit code 0 when the node answers on its UDP port (and admin API), 1 when not")
    .argument("[address]", "host:port of the node (default: 127.0.0.1 and dht_port, the node of this container)")
    .option("--admin [url]", "also GET <url>/health (default url: http://127.0.0.1:<admin_port>)")
    .option("--timeout <seconds>", "time one attempt may take", "2")
    .option("--wait <seconds>", "keep trying this long (to wait for a node to come up)", "0")
    .option("--json", "print the result as JSON")
    .action(async (
      address: string | undefined,
      flags: { admin?: string | true; timeout: string; wait: string; json?: boolean },
      command: Command,
    ) => {
      const settings = await settingsFromCli(command.optsWithGlobals<GlobalOptions>());
      const output = await probeNode(settings, {
        ...(address === undefined ? {} : { address }),
        ...(flags.admin === undefined ? {} : { admin: flags.admin }),
        timeoutS: Number(flags.timeout),
        waitS: Number(flags.wait),
      });
      if (flags.json) console.log(JSON.stringify(output.json));
      else if (output.exitCode === 0) console.log(output.text);
      else console.error(`cqkd: ${output.text}`);
      Deno.exitCode = output.exitCode;
    });
}

function plan(flags: GenerateFlags): Topology {
  try {
    return planDeployment({
      workers: count(flags.workers, "--workers"),
      superCount: count(flags.super, "--super"),
      regionalCount: count(flags.regional, "--regional"),
      localCount: count(flags.local, "--local"),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

/** The secrets directory: `--secrets`, else next to what is written (the compose file, the manifests' directory). */
function secretsDir(flags: GenerateFlags): string {
  if (flags.secrets !== undefined) return flags.secrets;
  if (flags.output === undefined) return SECRETS_DIR;
  return join(flags.format === "compose" ? dirname(flags.output) : join(flags.output, ".."), SECRETS_DIR);
}

/** Fills the secrets directory and says what it holds and what is left to do. */
async function provision(dir: string, bindMounted: boolean, validDays: number): Promise<KeygenTrust> {
  let trust: KeygenTrust;
  try {
    trust = await provisionKeygenTrust(dir, { bindMounted, validDays });
  } catch (error) {
    throw new CommandError(`Cannot provision Alice's and Bob's trust in ${dir}: ${reason(error)}`, undefined, {
      cause: error,
    });
  }
  const created = trust.created.length === 0 ? "kept its keys" : `created ${trust.created.join(", ")}`;
  console.error(
    `Alice's and Bob's trust in ${dir}: ${created}; role certificates valid ${validDays} days. ` +
      `Keep authority.key away from the hosts (docs/deployment.md#trust-between-alice-and-bob).`,
  );
  for (const note of trust.notes) console.error(`Note: ${note}`);
  return trust;
}

async function writeK8sSecrets(dir: string, trust: KeygenTrust): Promise<void> {
  const path = join(dir, K8S_SECRETS_FILE);
  try {
    await Deno.writeTextFile(path, k8sYaml(keygenSecrets(trust)), { mode: 0o600 });
  } catch (error) {
    throw new CommandError(`Cannot write ${path}: ${reason(error)}`, undefined, { cause: error });
  }
  console.error(`Wrote ${path}: apply it before the manifests (kubectl apply -f ${path})`);
}

async function writeCompose(topology: Topology, flags: GenerateFlags): Promise<string | undefined> {
  // The compose file names the secrets directory relative to itself (docker-compose resolves it so).
  const fromFile = relative(dirname(flags.output ?? "compose.yml"), secretsDir(flags)) || ".";
  const text = composeYaml(topology, {
    image: flags.image,
    engine: flags.engine,
    secretsDir: fromFile.startsWith("/") || fromFile.startsWith("..") ? fromFile : `./${fromFile}`,
  });
  if (flags.output === undefined) return void console.log(text.trimEnd());
  await write(flags.output, text);
  const services = topology.tiers.flatMap((t) => t.nodes).length;
  return `Wrote ${flags.output}: ${services} services, ${describe(topology)}`;
}

async function writeK8s(topology: Topology, flags: GenerateFlags): Promise<string | undefined> {
  const files = k8sManifests(topology, { image: flags.image });
  if (flags.output === undefined) {
    return void console.log([...files.values()].map((manifests) => k8sYaml(manifests)).join("---\n").trimEnd());
  }
  try {
    await Deno.mkdir(flags.output, { recursive: true });
  } catch (error) {
    throw new CommandError(`Cannot write to ${flags.output}: ${reason(error)}`, undefined, { cause: error });
  }
  for (const [name, manifests] of files) await write(join(flags.output, name), k8sYaml(manifests));
  return `Wrote ${files.size} files to ${flags.output}: ${describe(topology)}`;
}

function describe(topology: Topology): string {
  const { superCount, regionalCount, localCount, workers } = topology.shape;
  return `${superCount} super, ${regionalCount} regional, ${localCount} local bootstrap nodes, ${workers} workers, ` +
    "Alice and Bob";
}

async function write(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (error) {
    throw new CommandError(`Cannot write ${path}: ${reason(error)}`, undefined, { cause: error });
  }
}

/** A file-system error's message without Deno's `: operation 'path'` tail (the path is in our message already). */
function reason(error: unknown): string {
  return (error as Error).message.replace(/: \w+ '[^']*'$/, "");
}
