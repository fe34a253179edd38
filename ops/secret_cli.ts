/** `cqkd secret generate|promote|retire`: the cluster keyring that seals every datagram in secure mode. */
import type { Command } from "commander";
import { generateSecret, promoteSecret, retireSecret } from "./secret.ts";

/** Adds the keyring commands to the `secret` command group (created when missing). */
export function addKeyringCommands(program: Command): void {
  const secret = program.commands.find((c) => c.name() === "secret") ??
    program.command("secret").description("make and inspect the cluster's keys");
  secret.command("generate").description("create a keyring (mode 0600), or add a new key to one")
    .option("-o, --output <file>", "write a new keyring file (refused if it exists); default: print it")
    .option("--add-to <file>", "add a new key to this keyring file, as its primary (old keys still open datagrams)")
    .option("--staged", "with --add-to: keep the current primary; promote the new key once every node has it")
    .option("--env", "print the keys in CQKD_CLUSTER_KEY form (base64, comma separated)")
    .action(async (flags: { output?: string; addTo?: string; staged?: boolean; env?: boolean }) => {
      console.log(await generateSecret(flags));
    });
  secret.command("promote").description("make a key of a keyring file its primary (the one that seals)")
    .argument("<file>", "keyring file").argument("<id>", "key id (8 hex digits)")
    .action(async (file: string, id: string) => console.log(await promoteSecret(file, id)));
  secret.command("retire").description("remove a key from a keyring file: it opens nothing any more")
    .argument("<file>", "keyring file").argument("<id>", "key id (8 hex digits)")
    .action(async (file: string, id: string) => console.log(await retireSecret(file, id)));
}
