/**
 * The key-exchange services of a cluster node, by role: the role executor on a worker, Alice (with her
 * discovery) and Bob. Fleet attaches them once a node is ready and stops them before the node.
 */
import { servicesOptionsFrom, type Settings } from "../../core/config/mod.ts";
import { advertiseCapabilities, CAPABILITIES_RPC } from "../../core/discovery/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { Logger } from "../../core/log.ts";
import { attachNodeServices } from "../../core/services/mod.ts";
import { Alice, Bob, type StepEvent } from "../../roles/keygen/mod.ts";
import { WorkerService } from "../../roles/worker/mod.ts";

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
  /** Where step durations are recorded. */
  metrics?: CqkdMetrics;
}

/**
 * Attaches the services of `node`'s role (none for bootstrap nodes). A worker advertises its capabilities on
 * `cqkd_capabilities` unless the node's services already do.
 */
export async function attachProtocolRole(
  node: KademliaNode,
  options: ProtocolRoleOptions,
): Promise<ProtocolRole | undefined> {
  const { settings, log, name } = options;
  const onWarning = (message: string) => log.debug(`${name}: ${message}`);
  const onStep = (e: StepEvent) => {
    log.info(`${name}: session ${e.session} step ${e.step}: ${e.ms.toFixed(1)} ms`);
    options.metrics?.keygenStep(e.step, e.ms / 1000);
  };
  switch (node.role) {
    case "worker": {
      const withdraw = node.rpc.get(CAPABILITIES_RPC) === undefined ? advertiseCapabilities(node) : () => {};
      const worker = await WorkerService.attach(node, { onWarning });
      return {
        worker,
        async stop() {
          await worker.stop();
          withdraw();
        },
      };
    }
    case "alice": {
      const defaults = servicesOptionsFrom(settings);
      // Bootstrap nodes never answer a capability query: on 127.0.0.1 a worker answers well within 500 ms.
      const services = attachNodeServices(node, {
        ...defaults,
        discovery: { ...defaults.discovery, verifyTimeoutMs: 500 },
      });
      const alice = await Alice.attach(node, {
        discover: (count, o) => services.discovery.discover(count, o),
        qberThreshold: settings.qber_threshold,
        keyLengthMultiplier: settings.key_length_multiplier,
        onStep,
      });
      return {
        alice,
        async stop() {
          alice.stop();
          await services.stop();
        },
      };
    }
    case "bob": {
      const bob = await Bob.attach(node, { onStep });
      return {
        bob,
        stop() {
          bob.stop();
          return Promise.resolve();
        },
      };
    }
    default:
      return undefined;
  }
}
