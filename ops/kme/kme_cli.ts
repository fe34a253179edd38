/**
 * `cqkd kme info` (the local cluster's KMEs and demo SAEs) and `cqkd keys status|get|get-by-id`, a small ETSI GS QKD
 * 014 client for scripts: it reads the SAE's certificate and its KME's URL from `<state_dir>/kme/`.
 */
import type { Command } from "commander";
import { EtsiClient, EtsiRequestError } from "../../roles/kme/mod.ts";
import { type GlobalOptions, settingsFromCli } from "../cli_settings.ts";
import { count } from "../cli_numbers.ts";
import { CommandError } from "../exit_codes.ts";
import { formatTable } from "../table.ts";
import { type KmeInfo, LOCAL_KMES, readKmeInfo } from "./local_kmes.ts";

/** Adds `kme info` and `keys status|get|get-by-id`. */
export function addKmeCommands(program: Command): void {
  program.command("kme").description("the key management entities (ETSI GS QKD 014) of the local cluster")
    .command("info").description("print the KMEs (URL, CA file) and the demo SAEs (certificate and key files)")
    .option("--json", "print JSON")
    .action(async (flags: { json?: boolean }, command: Command) => {
      const info = await readKmeInfo((await settingsFromCli(command.optsWithGlobals<GlobalOptions>())).state_dir);
      console.log(flags.json ? JSON.stringify(info) : formatInfo(info));
    });

  const keys = program.command("keys").description("ask a KME for keys as an SAE (ETSI GS QKD 014); prints JSON");
  const saeOption = (command: Command, fallback: string) =>
    command.option("--sae <id>", "the SAE to act as (its certificate is in <state_dir>/kme/)", fallback);
  saeOption(keys.command("status").description("the status of the key link with a peer SAE"), LOCAL_KMES.alice.sae)
    .argument("[peer]", "the peer SAE", LOCAL_KMES.bob.sae)
    .action(etsi((client, [peer]) => client.status(String(peer))));
  saeOption(keys.command("get").description("new keys for the slave SAE (enc_keys)"), LOCAL_KMES.alice.sae)
    .argument("[slave]", "the slave SAE", LOCAL_KMES.bob.sae)
    .option("-n, --number <n>", "how many keys", "1")
    .option("--size <bits>", "key size in bits (default: the KME's)")
    .action(etsi((client, [slave], flags) =>
      client.getKeys(String(slave), {
        number: count(String(flags.number), "--number"),
        ...(flags.size === undefined ? {} : { size: count(String(flags.size), "--size") }),
      })
    ));
  saeOption(keys.command("get-by-id").description("the master SAE's keys by ID (dec_keys)"), LOCAL_KMES.bob.sae)
    .argument("<key_IDs...>", "key IDs (UUIDs)")
    .option("--master <id>", "the master SAE", LOCAL_KMES.alice.sae)
    .action(etsi((client, [ids], flags) => client.getKeysById(String(flags.master), ids as unknown as string[])));
}

/** Wraps a `keys` subcommand: the SAE's client from the state directory, the answer as JSON. */
function etsi(run: (client: EtsiClient, args: unknown[], flags: Record<string, unknown>) => Promise<unknown>) {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const flags = command.opts<{ sae: string } & Record<string, unknown>>();
    const info = await readKmeInfo((await settingsFromCli(command.optsWithGlobals<GlobalOptions>())).state_dir);
    const sae = info.saes.find((s) => s.id === flags.sae);
    const kme = info.kmes.find((k) => k.id === sae?.kme);
    if (sae === undefined || kme === undefined) throw new CommandError(`Unknown SAE ${flags.sae}`);
    if (kme.url === null) {
      throw new CommandError(`Cannot reach ${kme.id}: it is not running (no URL recorded in <state_dir>/kme/)`);
    }
    const read = (path: string) =>
      Deno.readTextFile(path).catch(() => {
        throw new CommandError(`Cannot read ${path}: start the local cluster first`);
      });
    await using client = new EtsiClient({
      url: kme.url,
      ca: await read(kme.ca),
      cert: await read(sae.cert),
      key: await read(sae.key),
    });
    try {
      console.log(JSON.stringify(await run(client, command.processedArgs, flags)));
    } catch (error) {
      if (error instanceof EtsiRequestError) throw new CommandError(`${error.message} ${JSON.stringify(error.body)}`);
      throw error;
    }
  };
}

function formatInfo(info: KmeInfo): string {
  return [
    formatTable(["KME", "URL", "CA"], info.kmes.map((k) => [k.id, k.url ?? "(not running)", k.ca])),
    "",
    formatTable(["SAE", "KME", "certificate", "key"], info.saes.map((s) => [s.id, s.kme, s.cert, s.key])),
  ].join("\n");
}
