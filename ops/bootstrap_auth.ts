/** Bootstrap authentication from the settings: a joiner's trust policy, and a bootstrap node's answer signer. */
import { join } from "node:path";
import type { Settings } from "../core/config/mod.ts";
import { SigningIdentity } from "../core/crypto/mod.ts";
import { AnswerSigner, BootstrapTrust, parseBootstrapCertificate } from "../roles/mod.ts";
import { CommandError } from "./exit_codes.ts";

/**
 * The trust policy of a joiner: the keys of `trusted_bootstrap_keys` and the `bootstrap_authority_key`.
 * @returns undefined when neither is set: every bootstrap answer counts, as before
 * @throws {CommandError} for a key that is not 64 hex digits
 */
export function bootstrapTrustFrom(settings: Settings): BootstrapTrust | undefined {
  const trustedKeys = settings.trusted_bootstrap_keys.map((hex) => publicKeyFromHex(hex, "trusted_bootstrap_keys"));
  const authority = settings.bootstrap_authority_key;
  if (trustedKeys.length === 0 && authority === "") return undefined;
  return new BootstrapTrust({
    trustedKeys,
    ...(authority === "" ? {} : { authorityKey: publicKeyFromHex(authority, "bootstrap_authority_key") }),
  });
}

/**
 * Where a node keeps its Ed25519 identity: `<state_dir>/identity/<name>.key` (name: `node_name`, else the role).
 */
export function identityPath(settings: Settings, role: string): string {
  return join(settings.state_dir, "identity", `${settings.node_name || role}.key`);
}

/**
 * The signer of a bootstrap node: its identity (created on first start, mode 0600) and `bootstrap_certificate`.
 * @throws {CommandError} when the certificate cannot be read or certifies another key
 */
export async function answerSignerFrom(settings: Settings, role: string): Promise<AnswerSigner> {
  const path = identityPath(settings, role);
  await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  const identity = await SigningIdentity.loadOrCreate(path);
  if (settings.bootstrap_certificate === "") return new AnswerSigner(identity);
  try {
    return new AnswerSigner(identity, parseBootstrapCertificate(settings.bootstrap_certificate));
  } catch (error) {
    throw new CommandError(`Invalid bootstrap_certificate: ${(error as Error).message} (identity ${path})`);
  }
}

/** The 32 bytes of a hex Ed25519 public key. @throws {CommandError} naming the setting */
export function publicKeyFromHex(hex: string, setting: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new CommandError(`Invalid ${setting} "${hex}": expected 64 hex digits (an Ed25519 public key)`);
  }
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}
