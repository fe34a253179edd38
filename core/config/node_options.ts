import type { KademliaNodeOptions } from "../kademlia/mod.ts";
import type { Settings } from "./schema.ts";

/** The DHT node options that settings decide (bind address, bucket size, timeouts, value lifetimes). */
export function nodeOptionsFrom(settings: Settings): KademliaNodeOptions {
  return {
    host: settings.bind_host,
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
  };
}
