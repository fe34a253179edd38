/**
 * The key-exchange services of a cluster node, by role: the role executor on a worker, Alice (with her
 * discovery) and Bob. Fleet attaches them once a node is ready and stops them before the node.
 */
import type { Settings } from "../../core/config/mod.ts";
import type { KademliaNode } from "../../core/kademlia/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { Logger } from "../../core/log.ts";
import type { NodeServices } from "../../core/services/mod.ts";
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
  /** Where step and discovery durations are recorded. */
  metrics?: CqkdMetrics;
  /** The node's own services (Alice discovers workers through them). */
  services: NodeServices;
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
  const onStep = (e: StepEvent) => {
    log.info(`${name}: session ${e.session} step ${e.step}: ${e.ms.toFixed(1)} ms`);
    options.metrics?.keygenStep(e.step, e.ms / 1000);
  };
  switch (node.role) {
    case "worker": {
      // The node's services advertise the worker's capabilities on cqkd_capabilities.
      const worker = await WorkerService.attach(node, { onWarning });
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
        onStep,
      });
      return {
        alice,
        stop() {
          alice.stop();
          return Promise.resolve();
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
