/**
 * The key-exchange services of a cluster node, by role: the role executor on a worker, Alice (with her
 * discovery) and Bob. Fleet attaches them once a node is ready and stops them before the node.
 */
import type { Settings } from "../../core/config/mod.ts";
import { join } from "node:path";
import { IdentityFileError, SigningIdentity } from "../../core/crypto/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { Logger } from "../../core/log.ts";
import type { NodeServices } from "../../core/services/mod.ts";
import {
  Alice,
  Bob,
  parseRoleCertificate,
  PeerTrust,
  type RejectReason,
  type StepEvent,
} from "../../roles/keygen/mod.ts";
import type { KeyStore } from "../../roles/keystore/mod.ts";
import { WorkerService } from "../../roles/worker/mod.ts";
import type { AuditLog } from "../audit/mod.ts";
import { identityPath, publicKeyFromHex } from "../bootstrap_auth.ts";
import { CommandError } from "../exit_codes.ts";

/** The protocol services running on one node. */
export interface ProtocolRole {
  readonly worker?: WorkerService;
  readonly alice?: Alice;
  readonly bob?: Bob;
  stop(): Promise<void>;
}

/** Options of {@linkcode attachProtocolRole}. */
export interface ProtocolRoleOptions {
  settings: Settings;
  log: Logger;
  /** The node's name, for the log. */
  name: string;
  /** Where step and discovery durations are recorded. */
  metrics?: CqkdMetrics;
  /** The node's own services (Alice discovers workers through them). */
  services: NodeServices;
  /** Whom Alice and Bob trust. @default {@linkcode keygenTrustFrom} the settings */
  trust?: PeerTrust;
  /** The identity Alice or Bob signs with. @default the node's (secure mode), else a fresh one */
  identity?: SigningIdentity;
  /** Where Alice or Bob store confirmed keys (a KME takes them from there). @default a fresh store */
  keyStore?: KeyStore;
  /** Where dropped key-exchange messages are recorded. */
  audit?: AuditLog;
}

/**
 * The trust policy of Alice and Bob from the settings: `trusted_peers` and `keygen_authority_key`.
 * @throws {CommandError} for a key that is not 64 hex digits
 */
export function keygenTrustFrom(settings: Settings): PeerTrust {
  const authority = settings.keygen_authority_key;
  return new PeerTrust({
    trustedPeers: settings.trusted_peers.map((hex) => publicKeyFromHex(hex, "trusted_peers")),
    ...(authority === "" ? {} : { authorityKey: publicKeyFromHex(authority, "keygen_authority_key") }),
  });
}

/**
 * The identity Alice or Bob of `cqkd node` signs with: the node's own (`<state_dir>/identity/<name>.key`, created
 * mode 0600 on first start), so that peers can pin it (`cqkd secret public-key FILE`) across restarts.
 * @throws {CommandError} when the file holds no Ed25519 key
 */
export async function keygenIdentityFrom(settings: Settings, role: string): Promise<SigningIdentity> {
  const path = identityPath(settings, role);
  await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  try {
    return await SigningIdentity.loadOrCreate(path);
  } catch (error) {
    if (error instanceof IdentityFileError) throw new CommandError(error.message, undefined, { cause: error });
    throw error;
  }
}

/** This node's `role_certificate`. @throws {CommandError} when it cannot be read */
function roleCertificateFrom(settings: Settings): Uint8Array | undefined {
  if (settings.role_certificate === "") return undefined;
  try {
    return parseRoleCertificate(settings.role_certificate).bytes;
  } catch (error) {
    throw new CommandError(`Invalid role_certificate: ${(error as Error).message}`);
  }
}

/**
 * Attaches the services of `node`'s role (none for bootstrap nodes).
 */
export async function attachProtocolRole(
  node: KademliaNode,
  options: ProtocolRoleOptions,
): Promise<ProtocolRole | undefined> {
  const { settings, log, name } = options;
  const onWarning = (message: string) => log.debug(`${name}: ${message}`);
  // Every dropped message is counted, logged and audited: an attack shows up in all three.
  const onReject = (reason: RejectReason, detail: string) => {
    options.metrics?.keygenRejected(reason);
    log.warn(`${name}: dropped a key-exchange message (${reason}): ${detail}`);
    options.audit?.append({
      who: `keygen:${name}`,
      client: "udp",
      procedure: "keygen_rejected",
      args: { reason, detail },
      ok: false,
      error: reason,
      ms: 0,
    });
  };
  const party = () => {
    const certificate = roleCertificateFrom(settings);
    return {
      trust: options.trust ?? keygenTrustFrom(settings),
      onReject,
      onStep,
      ...(options.identity ? { identity: options.identity } : {}),
      ...(certificate ? { certificate } : {}),
      ...(options.keyStore ? { keyStore: options.keyStore } : {}),
    };
  };
  const onStep = (e: StepEvent) => {
    log.info(`${name}: session ${e.session} step ${e.step}: ${e.ms.toFixed(1)} ms`);
    options.metrics?.keygenStep(e.step, e.ms / 1000);
  };
  switch (node.role) {
    case "worker": {
      // The node's services advertise the worker's capabilities on cqkd_capabilities.
      const worker = await WorkerService.attach(node, { onWarning, onReject });
      return { worker, stop: () => worker.stop() };
    }
    case "alice": {
      const { discovery } = options.services;
      const alice = await Alice.attach(node, {
        discover: async (count, o) => {
          const started = performance.now();
          const found = await discovery.discover(count, o);
          options.metrics?.discoveryFinished((performance.now() - started) / 1000);
          return found;
        },
        qberThreshold: settings.qber_threshold,
        keyLengthMultiplier: settings.key_length_multiplier,
        collusion: settings.collusion,
        ...party(),
      });
      return { alice, stop: () => alice.stop() };
    }
    case "bob": {
      const bob = await Bob.attach(node, party());
      return { bob, stop: () => bob.stop() };
    }
    default:
      return undefined;
  }
}
