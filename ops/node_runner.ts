import { nodeOptionsFrom, type Settings } from "../core/config/mod.ts";
import { KademliaNode, type KademliaNodeOptions } from "../core/kademlia/mod.ts";
import { Logger } from "../core/log.ts";
import { CqkdMetrics, metricsHooks } from "../core/metrics/mod.ts";
import { type NodeAdminServer, serveNodeAdmin, singleNode } from "./node_admin.ts";
import { formatPeer, isWildcardHost, type Peer } from "../core/net/mod.ts";
import { toHex } from "../core/bytes.ts";
import {
  type Attachment,
  BootstrapService,
  DEFAULT_PORT,
  JoinError,
  joinNetwork,
  mayRunAlone,
  type NodeRole,
  servedTier,
} from "../roles/mod.ts";
import { answerSignerFrom, bootstrapTrustFrom } from "./bootstrap_auth.ts";
import { CommandError } from "./exit_codes.ts";
import { secureNodeOptions } from "./secure_mode.ts";
import { keygenRoutes } from "./cluster/keygen_route.ts";
import { attachRecordedServices, livenessFrom } from "./cluster/node_services.ts";
import { attachProtocolRole, keygenIdentityFrom, type ProtocolRole } from "./cluster/protocol_roles.ts";
import { AuditLog, auditLogPath } from "./audit/mod.ts";
import { KeyStore } from "../roles/keystore/mod.ts";
import type { NodeServices } from "../core/services/mod.ts";
import { bootstrapSeeds } from "./seeds.ts";

/** Options of {@linkcode runNode}. */
export interface RunNodeOptions {
  /** Print machine-readable JSON events on stdout (one per line) besides the log. */
  json?: boolean;
  /** Resolves when the node should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<void>;
}

/**
 * Runs one node of `role` in the foreground: binds its port, joins the network through the bootstrap flow (a
 * bootstrap role then serves its tier, with the node that admitted it as its parent), attaches the node's services
 * (adaptive parameters, health checks, adaptive refresh, discovery, `cqkd_diagnose`), then serves until SIGINT or
 * SIGTERM, when it leaves its bootstrap node and stops cleanly.
 * @throws {CommandError} when the port is taken or the network cannot be joined
 */
export async function runNode(role: NodeRole, settings: Settings, options: RunNodeOptions = {}): Promise<void> {
  const log = new Logger(settings.log_level, { prefix: settings.node_name || role });
  const emit = (event: Record<string, unknown>) => options.json && console.log(JSON.stringify(event));
  const port = settings.dht_port === 0 ? DEFAULT_PORT[role] : settings.dht_port;
  const metrics = new CqkdMetrics();
  /** The node's key store (Alice's or Bob's confirmed keys; empty on other roles). */
  const keyStore = new KeyStore();
  const security = await secureNodeOptions(settings, { identityName: settings.node_name || role });
  const node = startNode(role, settings, port, log, metrics, security);
  metrics.observe(singleNode(node));
  let service: BootstrapService | undefined;
  let services: NodeServices | undefined;
  let protocol: ProtocolRole | undefined;
  let admin: NodeAdminServer | undefined;
  try {
    admin = await serveNodeAdmin(
      () => ({
        name: settings.node_name || role,
        node,
        ...(service ? { bootstrap: service } : {}),
        ...(services ? { services } : {}),
      }),
      settings,
      metrics,
      (message) => log.warn(message),
      role === "alice" || role === "bob"
        ? keygenRoutes({
          alice: () => protocol?.alice,
          bob: () => protocol?.bob,
          bobAddress: settings.bob_address,
          metrics,
        })
        : undefined,
    );
    const address = formatPeer(node.address);
    const mode = node.envelope ? `secure, cluster key ${node.envelope.keyring.primary.id}` : "plaintext";
    log.info(`${role} ${node.id.hex} listening on ${address} (udp, ${mode}), admin API on ${admin.url}`);
    emit({ event: "listening", role, id: node.id.hex, address, name: settings.node_name, admin: admin.url });
    const { peers: seeds, unresolved } = await bootstrapSeeds(settings, node.advertisedAddress);
    if (unresolved.length > 0) log.warn(`skipping bootstrap addresses that do not resolve: ${unresolved.join(", ")}`);
    let attachment: Attachment | undefined;
    const trust = bootstrapTrustFrom(settings);
    try {
      if (seeds.length === 0) throw new JoinError([]);
      attachment = await joinNetwork(node, {
        seeds,
        role,
        attemptTimeoutMs: Math.round(settings.rpc_timeout * 1000),
        ...(trust ? { trust } : {}),
      });
      const attachedTo = "name" in attachment.attachedTo
        ? attachment.attachedTo.name
        : formatPeer(attachment.attachedTo);
      log.info(
        `joined through ${formatPeer(attachment.entry)}, admitted by ${attachedTo}: ${attachment.contacts} contacts`,
      );
      await advertise(node, attachment.entry, log);
      emit({
        event: "joined",
        reached: [formatPeer(attachment.entry)],
        attachedTo,
        fallback: attachment.fallback,
        contacts: attachment.contacts,
      });
    } catch (error) {
      if (!(error instanceof JoinError)) throw error;
      if (!mayRunAlone(role)) throw new CommandError(error.message, undefined, { cause: error });
      log.warn(`no other node answered (${seeds.map(formatPeer).join(", ") || "none listed"}): starting a new network`);
      emit({ event: "alone" });
    }
    const tier = servedTier(role);
    if (tier !== undefined) {
      const admittedBy = attachment?.attachedTo;
      const signer = await answerSignerFrom(settings, role);
      log.info(`signing bootstrap answers with public key ${toHex(signer.identity.publicKey)}`);
      service = BootstrapService.attach(node, {
        signer,
        tier,
        region: settings.region,
        name: settings.node_name || role,
        capacity: settings.max_connections || undefined,
        ...(admittedBy && "tier" in admittedBy ? { parent: { host: admittedBy.host, port: admittedBy.port } } : {}),
        onWarning: (message) => log.warn(message),
      });
    }
    services = attachRecordedServices(node, settings, metrics);
    const name = settings.node_name || role;
    const keygenParty = role === "alice" || role === "bob";
    protocol = await attachProtocolRole(node, {
      settings,
      log,
      name,
      metrics,
      services,
      ...(keygenParty ? { identity: security.identity ?? await keygenIdentityFrom(settings, role) } : {}),
      ...(keygenParty ? { audit: new AuditLog(auditLogPath(settings)), keyStore } : {}),
    });
    emit({ event: "ready", role, services: protocol ? Object.keys(protocol).filter((k) => k !== "stop") : [] });
    await (options.stopSignal ?? stopSignal());
    log.info("stopping");
    await attachment?.leave();
  } finally {
    await protocol?.stop();
    await services?.stop();
    await service?.stop();
    await admin?.shutdown();
    await node.stop();
  }
  emit({ event: "stopped" });
}

function startNode(
  role: NodeRole,
  settings: Settings,
  port: number,
  log: Logger,
  metrics: CqkdMetrics,
  security: Pick<KademliaNodeOptions, "secure" | "identity">,
): KademliaNode {
  try {
    return KademliaNode.start({
      ...nodeOptionsFrom(settings),
      ...livenessFrom(settings),
      ...security,
      port,
      role,
      onWarning: (message) => log.warn(message),
      ...metricsHooks(metrics),
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CommandError(`Cannot listen on ${settings.bind_host}:${port}: the port is already in use`);
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new CommandError(`Cannot listen on ${settings.bind_host}:${port}: no such local address`);
    }
    throw error;
  }
}

/**
 * A node bound to 0.0.0.0 (in a container) must not tell others to reach it there: unless advertise_host is set,
 * it advertises the address the node it joined through sees it at.
 */
async function advertise(node: KademliaNode, entry: Peer, log: Logger): Promise<void> {
  if (!isWildcardHost(node.address.host)) return;
  try {
    log.info(`advertising ${formatPeer(await node.learnAddress(entry))}`);
  } catch (error) {
    log.warn(`cannot learn this node's address from ${formatPeer(entry)} (set advertise_host): ${error}`);
  }
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}
