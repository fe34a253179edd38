/**
 * `cqkd secret authority|certify|public-key`: the keys of bootstrap authentication. An authority key certifies
 * bootstrap nodes' identity keys; joiners trust it through `bootstrap_authority_key`, or trust bootstrap keys one
 * by one through `trusted_bootstrap_keys`.
 */
import type { Command } from "commander";
import { toHex } from "../core/bytes.ts";
import { IdentityFileError, SigningIdentity } from "../core/crypto/mod.ts";
import { certificateText, issueBootstrapCertificate } from "../roles/mod.ts";
import { publicKeyFromHex } from "./bootstrap_auth.ts";
import { CommandError } from "./exit_codes.ts";

/** Adds the bootstrap-authentication commands to the `secret` command group (created when missing). */
export function addBootstrapSecretCommands(program: Command): void {
  const secret = program.commands.find((c) => c.name() === "secret") ??
    program.command("secret").description("make and inspect the cluster's keys");
  secret.command("authority")
    .description("create a bootstrap authority key (mode 0600) and print its public key (bootstrap_authority_key)")
    .argument("<file>", "where to write the private key; must not exist")
    .action(async (file: string) => {
      const authority = SigningIdentity.generate();
      try {
        await Deno.writeTextFile(file, authority.toPem(), { mode: 0o600, createNew: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        throw new CommandError(`Cannot create the authority key: ${file} already exists`);
      }
      console.log(toHex(authority.publicKey));
    });
  secret.command("certify")
    .description("print a certificate (bootstrap_certificate) of a bootstrap node's public key")
    .argument("<public-key>", "the bootstrap node's public key, 64 hex digits (see `cqkd secret public-key`)")
    .requiredOption("-a, --authority <file>", "the authority's private key file")
    .option("-n, --name <name>", "who the certificate is for", "")
    .option("--valid-days <days>", "validity in days", "365")
    .action(async (publicKey: string, flags: { authority: string; name: string; validDays: string }) => {
      const days = Number(flags.validDays);
      if (!(days > 0)) throw new CommandError(`Invalid --valid-days "${flags.validDays}": expected days > 0`);
      const authority = await loadIdentity(flags.authority);
      const key = publicKeyFromHex(publicKey, "public key");
      console.log(
        certificateText(issueBootstrapCertificate(authority, key, { name: flags.name, validForS: days * 86400 })),
      );
    });
  secret.command("public-key")
    .description("print the public key of an identity or authority key file (e.g. <state_dir>/identity/<name>.key)")
    .argument("<file>", "the private key file")
    .action(async (file: string) => console.log(toHex((await loadIdentity(file)).publicKey)));
}

async function loadIdentity(path: string): Promise<SigningIdentity> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    throw new CommandError(`Cannot read the key file ${path}: ${(error as Error).message}`);
  }
  try {
    return SigningIdentity.fromPem(pem);
  } catch (error) {
    throw new CommandError(new IdentityFileError(path, (error as Error).message).message);
  }
}
