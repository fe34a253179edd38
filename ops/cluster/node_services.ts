import { servicesOptionsFrom, type Settings } from "../../core/config/mod.ts";
import type { KademliaNode, KademliaNodeOptions } from "../../core/kademlia/mod.ts";
import type { CqkdMetrics } from "../../core/metrics/mod.ts";
import type { CheckBudget } from "../../core/health/mod.ts";
import { attachNodeServices, livenessFor, type NodeServices } from "../../core/services/mod.ts";

/** The liveness policy a node started for {@linkcode attachRecordedServices} is built with (see livenessFor). */
export function livenessFrom(settings: Settings): Pick<KademliaNodeOptions, "liveness"> {
  return livenessFor(servicesOptionsFrom(settings));
}

/**
 * Attaches a node's services (size estimate, adaptive parameters, health checks, refresh, discovery) as the
 * settings ask, with every health check recorded in `metrics`. Both the local cluster's hosts and `cqkd node` use it;
 * a host process passes the health-check `budget` its nodes share.
 */
export function attachRecordedServices(
  node: KademliaNode,
  settings: Settings,
  metrics?: CqkdMetrics,
  budget?: CheckBudget,
): NodeServices {
  const options = servicesOptionsFrom(settings);
  const services = attachNodeServices(
    node,
    budget === undefined ? options : { ...options, health: { ...options.health, budget } },
  );
  if (metrics !== undefined) {
    services.health?.checked.on(({ result, status }) =>
      metrics.healthCheck(result.level, status, result.durationMs / 1000)
    );
  }
  return services;
}
