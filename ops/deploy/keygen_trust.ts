/**
 * The trust between Alice and Bob in a deployment: a cluster authority, Alice's and Bob's identity keys, and each
 * one's role certificate from that authority, kept as files in a secrets directory next to the generated files.
 * The generated files only name these files, so they hold no key and stay the same from one generation to the next:
 *
 * | file            | what                                                        | who reads it                      |
 * | --------------- | ----------------------------------------------------------- | --------------------------------- |
 * | `authority.key` | the authority's private key (mode 0600)                     | only `cqkd compose generate`      |
 * | `alice.key`     | Alice's Ed25519 identity (mode 0400, owner 10001 as root)   | Alice's container, mounted        |
 * | `alice.pub`     | Alice's public key (hex), to certify her again              | `cqkd compose generate`           |
 * | `alice.env`     | `KEYGEN_AUTHORITY_KEY` and Alice's `ROLE_CERTIFICATE`       | Alice's container (`env_file`)    |
 * | `bob.key`, …    | the same for Bob                                            | Bob's container                   |
 *
 * @module
 */
import { join } from "node:path";
import { toHex } from "../../core/bytes.ts";
import { IdentityFileError, SigningIdentity } from "../../core/crypto/mod.ts";
import { issueRoleCertificate, type KeygenRole, roleCertificateText } from "../../roles/keygen/role_certificate.ts";
import { publicKeyFromHex } from "../bootstrap_auth.ts";
import { RUN_AS, STATE_DIR } from "./container.ts";

/** Name of the secrets directory, next to the generated file (compose) or directory (Kubernetes). */
export const SECRETS_DIR = "cqkd-secrets";

/** The authority's private key in the secrets directory: it certifies Alice and Bob, no container reads it. */
export const AUTHORITY_FILE = "authority.key";

/** Where a side's node reads its identity: `<state_dir>/identity/<node name>.key` (the node name is the role). */
export const IDENTITY_DIR = `${STATE_DIR}/identity`;

/** A side's identity key file, in the secrets directory and in its container's identity directory. */
export const identityFile = (role: KeygenRole): string => `${role}.key`;

/** A side's trust settings (`KEYGEN_AUTHORITY_KEY`, `ROLE_CERTIFICATE`), as an env file of the secrets directory. */
export const trustEnvFile = (role: KeygenRole): string => `${role}.env`;

/** Name of a side's Kubernetes Secret: its identity key and trust settings. */
export const keygenSecretName = (role: KeygenRole): string => `cqkd-keygen-${role}`;

/** Default validity of the role certificates, in days. */
export const DEFAULT_VALID_DAYS = 365;

/** One side's part of the trust. */
export interface SideTrust {
  /** The identity key, PEM; undefined when the generator may not read it (given to the containers' user). */
  identityPem?: string;
  /** Its public key, hex (what `cqkd secret public-key` prints). */
  publicKey: string;
  /** Its role certificate (base64 text, the `role_certificate` setting). */
  certificate: string;
}

/** The trust of a deployment, as provisioned. */
export interface KeygenTrust {
  /** The authority's public key, hex (the `keygen_authority_key` setting of both sides). */
  authorityKey: string;
  sides: Record<KeygenRole, SideTrust>;
  /** Files created by this provisioning (the others were there and are kept). */
  created: string[];
  /** What the operator still has to do (a key the containers' user cannot read yet). */
  notes: string[];
}

/** Options of {@linkcode provisionKeygenTrust}. */
export interface ProvisionOptions {
  /** Validity of the role certificates issued, in days. @default {DEFAULT_VALID_DAYS} */
  validDays?: number;
  /** Clock in milliseconds. */
  now?: () => number;
  /**
   * The identity keys are bind-mounted into the containers (compose): give them to the containers' user (uid
   * 10001, mode 0400) when running as root, else note what to run. @default false
   */
  bindMounted?: boolean;
}

/**
 * Makes the secrets directory (mode 0700) hold an authority and Alice's and Bob's identity keys, each created when
 * missing and kept otherwise (so generating again keeps the identities), and certifies each side's key for its role
 * anew (`<role>.env`). Run as root, the identity keys are given to the containers' user (uid 10001, mode 0400), who
 * must read them through the bind mount; otherwise a note says how.
 * @throws {Error} when a key file exists but holds no Ed25519 key, or the directory cannot be written
 */
export async function provisionKeygenTrust(dir: string, options: ProvisionOptions = {}): Promise<KeygenTrust> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const authority = await loadOrCreateKey(join(dir, AUTHORITY_FILE), created);
  const authorityKey = toHex(authority.publicKey);
  const notes: string[] = [];
  const side = async (role: KeygenRole): Promise<SideTrust> => {
    const { path, identity, publicKey } = await loadSide(dir, role, created);
    if (options.bindMounted) notes.push(...await giveToContainerUser(path));
    const certificate = roleCertificateText(
      issueRoleCertificate(authority, publicKey, role, {
        name: role,
        validForS: (options.validDays ?? DEFAULT_VALID_DAYS) * 86_400,
        ...(options.now ? { now: options.now } : {}),
      }),
    );
    // Public: the authority's key and a certificate. A file, so that the compose file stays the same each time.
    await Deno.writeTextFile(
      join(dir, trustEnvFile(role)),
      `KEYGEN_AUTHORITY_KEY=${authorityKey}\nROLE_CERTIFICATE=${certificate}\n`,
      { mode: 0o644 },
    );
    return { ...(identity ? { identityPem: identity.toPem() } : {}), publicKey: toHex(publicKey), certificate };
  };
  const [alice, bob] = [await side("alice"), await side("bob")];
  return { authorityKey, sides: { alice, bob }, created, notes };
}

/**
 * A side's identity key, created when missing, and its public key (`<role>.pub`, written whenever the key can be
 * read): a key already given to the containers' user may not be readable by an operator who is not root, who can
 * still certify it again from its public key.
 */
async function loadSide(dir: string, role: KeygenRole, created: string[]) {
  const path = join(dir, identityFile(role));
  const pubPath = join(dir, `${role}.pub`);
  let identity: SigningIdentity | undefined;
  try {
    identity = await loadOrCreateKey(path, created);
  } catch (error) {
    if (!(error instanceof IdentityFileError && error.cause instanceof Deno.errors.PermissionDenied)) throw error;
  }
  if (identity) {
    await Deno.writeTextFile(pubPath, `${toHex(identity.publicKey)}\n`, { mode: 0o644 });
    return { path, identity, publicKey: identity.publicKey };
  }
  const hex = (await Deno.readTextFile(pubPath).catch(() => "")).trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(`Cannot read ${path} (permission denied) nor its public key in ${pubPath}`);
  }
  return { path, identity, publicKey: publicKeyFromHex(hex, pubPath) };
}

/**
 * Lets uid {@linkcode RUN_AS} read an identity key through a bind mount: as root, owner 10001 and mode 0400; as
 * anyone else (who cannot give a file away) the key stays the operator's, with a note saying what to run.
 */
async function giveToContainerUser(path: string): Promise<string[]> {
  if (Deno.uid() === 0) {
    await Deno.chown(path, RUN_AS, RUN_AS);
    await Deno.chmod(path, 0o400);
    return [];
  }
  const { uid } = await Deno.stat(path);
  if (uid === RUN_AS) return [];
  return [
    `${path} must be readable by the containers' user ${RUN_AS}: run \`sudo chown ${RUN_AS}:${RUN_AS} ${path}\` ` +
    `(rootless podman: \`podman unshare chown ${RUN_AS}:${RUN_AS} ${path}\`)`,
  ];
}

/** The key in `path`, created (mode 0600) and listed in `created` when missing. */
async function loadOrCreateKey(path: string, created: string[]): Promise<SigningIdentity> {
  const existed = await exists(path);
  const identity = await SigningIdentity.loadOrCreate(path);
  if (!existed) created.push(path);
  return identity;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
