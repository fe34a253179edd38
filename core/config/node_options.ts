import type { KademliaNodeOptions } from "../kademlia/mod.ts";
import type { NodeServicesOptions } from "../services/mod.ts";
import type { Settings } from "./schema.ts";

/** The DHT node options that settings decide (bind address, bucket size, timeouts, value lifetimes). */
export function nodeOptionsFrom(settings: Settings): KademliaNodeOptions {
  return {
    host: settings.bind_host,
    ...(settings.advertise_host === "" ? {} : { advertisedHost: settings.advertise_host }),
    port: settings.dht_port,
    k: settings.ksize,
    alpha: settings.alpha,
    rpcTimeoutMs: Math.round(settings.rpc_timeout * 1000),
    lookupStallMs: Math.round(settings.lookup_stall_timeout * 1000),
    valueTtlS: settings.value_ttl,
    republishIntervalS: settings.republish_interval,
    refreshIntervalS: settings.refresh_interval,
    maxValueBytes: settings.max_value_bytes,
    maxStoredValues: settings.max_stored_values,
    maxStorageBytes: settings.max_storage_bytes,
    faults: {
      dropProbability: settings.fault_drop_probability,
      delayMs: settings.fault_delay_ms,
      jitterMs: settings.fault_delay_jitter_ms,
    },
  };
}

/** The options of a node's services (adaptive parameters, health checks, adaptive refresh, discovery). */
export function servicesOptionsFrom(settings: Settings): NodeServicesOptions {
  return {
    adaptive: {
      enabled: settings.enable_adaptive_kademlia,
      thresholds: {
        small: settings.small_network_threshold,
        medium: settings.medium_network_threshold,
        large: settings.large_network_threshold,
        xlarge: settings.xlarge_network_threshold,
      },
      analysisIntervalS: settings.adaptive_analysis_interval,
      staleAfterS: settings.fast_check_interval,
    },
    health: {
      enabled: settings.enable_health_check,
      levels: settings.health_check_levels,
      fast: { intervalS: settings.fast_check_interval, timeoutMs: Math.round(settings.fast_check_timeout * 1000) },
      medium: {
        intervalS: settings.medium_check_interval,
        timeoutMs: Math.round(settings.medium_check_timeout * 1000),
      },
      deep: { intervalS: settings.deep_check_interval, timeoutMs: Math.round(settings.deep_check_timeout * 1000) },
    },
    refresh: {
      enabled: settings.enable_adaptive_refresh,
      immediate: settings.immediate_refresh_enabled,
      activeMinIntervalS: settings.active_refresh_min_interval,
      stableMaxIntervalS: settings.stable_refresh_max_interval,
      optimizationIntervalS: settings.refresh_optimization_interval,
    },
    discovery: { cache: { ttlS: settings.discovery_cache_ttl, maxEntries: settings.discovery_cache_size } },
  };
}
