/**
 * `cqkd secret authority|certify|public-key`: the keys of bootstrap authentication. An authority key certifies
 * bootstrap nodes' identity keys; joiners trust it through `bootstrap_authority_key`, or trust bootstrap keys one
 * by one through `trusted_bootstrap_keys`.
 */
import type { Command } from "commander";
import { toHex } from "../core/bytes.ts";
import { IdentityFileError, SigningIdentity } from "../core/crypto/mod.ts";
import { certificateText, issueBootstrapCertificate } from "../roles/mod.ts";
import {
  issueRoleCertificate,
  KEYGEN_ROLES,
  type KeygenRole,
  roleCertificateText,
} from "../roles/keygen/role_certificate.ts";
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
    .description(
      "print a certificate of a node's public key: a bootstrap node's (bootstrap_certificate), or with --role " +
        "an Alice's or Bob's (role_certificate)",
    )
    .argument("<public-key>", "the node's public key, 64 hex digits (see `cqkd secret public-key`)")
    .requiredOption("-a, --authority <file>", "the authority's private key file")
    .option("-n, --name <name>", "who the certificate is for", "")
    .option("--role <role>", "certify a key-exchange role instead: alice or bob")
    .option("--valid-days <days>", "validity in days", "365")
    .action(async (publicKey: string, flags: { authority: string; name: string; validDays: string; role?: string }) => {
      const days = Number(flags.validDays);
      if (!(days > 0)) throw new CommandError(`Invalid --valid-days "${flags.validDays}": expected days > 0`);
      if (flags.role !== undefined && !KEYGEN_ROLES.includes(flags.role as KeygenRole)) {
        throw new CommandError(`Invalid --role "${flags.role}": expected alice or bob`);
      }
      const authority = await loadIdentity(flags.authority);
      const key = publicKeyFromHex(publicKey, "public key");
      const validity = { name: flags.name, validForS: days * 86400 };
      console.log(
        flags.role === undefined
          ? certificateText(issueBootstrapCertificate(authority, key, validity))
          : roleCertificateText(issueRoleCertificate(authority, key, flags.role as KeygenRole, validity)),
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
