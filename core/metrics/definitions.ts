/** Kinds of Prometheus metric cqkd uses. */
export type MetricType = "counter" | "gauge" | "histogram";

/** Name, help, labels and (for histograms) bucket bounds of one metric family. */
export interface MetricDefinition<L extends string = string> {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds of the histogram buckets; the alert rules' thresholds are among them. */
  readonly buckets?: readonly number[];
}

const counter = <const L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
  ({ name, type: "counter", help, labelNames }) as const satisfies MetricDefinition<L>;

const gauge = <const L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
  ({ name, type: "gauge", help, labelNames }) as const satisfies MetricDefinition<L>;

const histogram = <const L extends string = never>(
  name: string,
  help: string,
  buckets: readonly number[],
  labelNames: readonly L[] = [],
) => ({ name, type: "histogram", help, labelNames, buckets }) as const satisfies MetricDefinition<L>;

/**
 * Every metric family cqkd exports, in one place: the alert rules and the Grafana dashboard in
 * `compose/monitoring/` use these names (a test checks it).
 *
 * Cardinality: a host process may run 500+ nodes, so families are aggregated per process; only
 * `cqkd_routing_table_contacts` carries a `node` label (one series per node, the one view that finds an isolated
 * node). Parameters and bucket fill are aggregated by role and by fill level instead.
 */
export const METRICS = {
  // Events, recorded by the code that sees them.
  rpcRequests: counter(
    "cqkd_rpc_requests_total",
    "RPCs this process sent, by method and outcome (ok, timeout, error, aborted)",
    ["method", "outcome"],
  ),
  rpcDuration: histogram(
    "cqkd_rpc_duration_seconds",
    "Time until an RPC was answered (answered RPCs only; timeouts are counted by cqkd_rpc_requests_total)",
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ["method"],
  ),
  bootstrapDuration: histogram(
    "cqkd_bootstrap_duration_seconds",
    "Time a node took to join the network (target < 120 s, alert > 180 s)",
    [1, 5, 10, 30, 60, 90, 120, 180, 300, 600],
  ),
  discoveryDuration: histogram(
    "cqkd_discovery_duration_seconds",
    "Time a worker discovery took (target < 45 s, alert > 60 s)",
    [0.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120],
  ),
  healthCheckDuration: histogram(
    "cqkd_health_check_duration_seconds",
    "Time a health check took, by level (target < 25 s, alert > 30 s)",
    [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 25, 30, 45, 60],
    ["level"],
  ),
  healthChecks: counter(
    "cqkd_health_checks_total",
    "Health checks run, by level and resulting status (healthy, degraded, unhealthy)",
    ["level", "status"],
  ),
  refreshRpcs: counter("cqkd_refresh_rpcs_total", "RPCs sent by routing-table refreshes"),
  refreshAccountedRpcs: counter(
    "cqkd_refresh_accounted_rpcs_total",
    "All RPCs sent over the periods accounted in cqkd_refresh_rpcs_total (denominator of the refresh overhead)",
  ),
  lookupHops: histogram(
    "cqkd_lookup_hops",
    "Rounds of queries an iterative lookup took, by kind (find_node, find_value)",
    [1, 2, 3, 4, 5, 6, 8, 10, 15, 20],
    ["kind"],
  ),
  keygenStepDuration: histogram(
    "cqkd_keygen_step_duration_seconds",
    "Time each of the 19 key-generation steps took",
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    ["step"],
  ),
  keygenQber: histogram(
    "cqkd_keygen_qber_ratio",
    "Quantum bit error rate estimated by key-generation sessions (abort threshold 0.11)",
    [0.01, 0.02, 0.03, 0.05, 0.08, 0.11, 0.15, 0.2, 0.25, 0.3, 0.5],
  ),
  keygenSessions: counter(
    "cqkd_keygen_sessions_total",
    "Key-generation sessions ended, by outcome (completed, aborted, failed)",
    ["outcome"],
  ),
  keygenRejected: counter(
    "cqkd_keygen_rejected_total",
    "Key-exchange messages dropped, by reason (bad_signature, replay, untrusted_peer, unexpected_sender, …)",
    ["reason"],
  ),
  fingerprintsShown: counter(
    "cqkd_keygen_fingerprints_total",
    "Key fingerprints reported (keys of at least 128 bits only)",
  ),
  keyPoolBits: gauge("cqkd_key_pool_bits", "Key bits waiting for delivery in the key pool of an SAE pair", ["pair"]),
  keyPoolKeys: gauge("cqkd_key_pool_keys", "Keys waiting for delivery in the key pool of an SAE pair", ["pair"]),
  keyPoolLowWatermark: gauge(
    "cqkd_key_pool_low_watermark_bits",
    "The key pool's low watermark: below it, key generation refills the pool up to the high watermark",
    ["pair"],
  ),
  keyPoolSecretBits: counter(
    "cqkd_key_pool_secret_bits_total",
    "Secret key bits generated into the key pool of an SAE pair (its rate is the secret key rate)",
    ["pair"],
  ),
  keyPoolSessions: counter(
    "cqkd_key_pool_sessions_total",
    "Key-generation sessions run to refill the key pool of an SAE pair, by outcome (completed, aborted)",
    ["pair", "outcome"],
  ),
  keyPoolQber: gauge("cqkd_key_pool_qber_ratio", "QBER of the last session that refilled the key pool", ["pair"]),
  adminRateLimited: counter(
    "cqkd_admin_rate_limited_total",
    "Admin API requests refused with 429, by the limit hit (address: per client address, token: per token)",
    ["by"],
  ),

  // State, read from the process's nodes at every scrape.
  nodes: gauge("cqkd_nodes", "DHT nodes running in this process, by role", ["role"]),
  routingTableContacts: gauge("cqkd_routing_table_contacts", "Contacts in the routing table of each node", ["node"]),
  routingTableBuckets: gauge(
    "cqkd_routing_table_buckets",
    "k-buckets of this process's nodes by fill level (empty, partial, full)",
    ["fill"],
  ),
  alpha: gauge("cqkd_kademlia_alpha", "Lookup parallelism in force, mean over the nodes of a role", ["role"]),
  k: gauge("cqkd_kademlia_k", "Bucket size in force, mean over the nodes of a role", ["role"]),
  rpcTimeout: gauge(
    "cqkd_kademlia_rpc_timeout_seconds",
    "RPC timeout in force, mean over the nodes of a role",
    ["role"],
  ),
  refreshInterval: gauge(
    "cqkd_kademlia_refresh_interval_seconds",
    "Bucket refresh interval in force, mean over the nodes of a role that report one",
    ["role"],
  ),
  datagramsReceived: counter("cqkd_datagrams_received_total", "UDP datagrams received by this process's nodes"),
  datagramsSent: counter("cqkd_datagrams_sent_total", "UDP datagrams sent by this process's nodes"),
  requestsReceived: counter("cqkd_requests_received_total", "RPC requests received by this process's nodes"),
  requestsSent: counter("cqkd_requests_sent_total", "RPC requests sent by this process's nodes"),
  responsesReceived: counter(
    "cqkd_responses_received_total",
    "RPC responses received (matched to a pending request) by this process's nodes",
  ),
  requestTimeouts: counter(
    "cqkd_request_timeouts_total",
    "RPC requests that got no answer in time: the packet-loss numerator (over cqkd_requests_sent_total)",
  ),
  sendErrors: counter("cqkd_send_errors_total", "Datagrams the system refused to send"),
  datagramsDropped: counter(
    "cqkd_datagrams_dropped_total",
    "Incoming datagrams dropped, by reason (short, msgpack, unsolicited, unknown-method, …)",
    ["reason"],
  ),
} as const;

/** Every metric family, as a list. */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.values(METRICS);

/**
 * The names of the samples a family exposes: its own name, or for a histogram the `_bucket`, `_sum` and `_count`
 * series (the names a PromQL expression can use).
 */
export function sampleNames(definition: MetricDefinition): string[] {
  if (definition.type !== "histogram") return [definition.name];
  return ["_bucket", "_sum", "_count"].map((suffix) => definition.name + suffix);
}
