import { freezeSettings } from "./_freeze.ts";
import type { BoolField, EnumField, FieldSpec, ListField, NumberField, SettingValue, StringField } from "./field.ts";

type Extra = { readonly env?: readonly string[] };
type Bounds = Extra & { readonly min?: number; readonly max?: number; readonly exclusiveMin?: boolean };

const bool = <const N extends string>(name: N, value: boolean, description: string, extra: Extra = {}) =>
  ({ name, kind: "bool", default: value, description, ...extra }) satisfies BoolField;
const int = <const N extends string>(name: N, value: number, description: string, bounds: Bounds = {}) =>
  ({ name, kind: "int", default: value, description, ...bounds }) satisfies NumberField;
const float = <const N extends string>(name: N, value: number, description: string, bounds: Bounds = {}) =>
  ({ name, kind: "float", default: value, description, ...bounds }) satisfies NumberField;
const str = <const N extends string>(name: N, value: string, description: string, extra: Extra = {}) =>
  ({ name, kind: "string", default: value, description, ...extra }) satisfies StringField;
const nonEmptyStr = <const N extends string>(name: N, value: string, description: string) =>
  ({ name, kind: "string", default: value, description, nonEmpty: true }) satisfies StringField;
const oneOf = <const N extends string, const C extends readonly string[]>(
  name: N,
  choices: C,
  value: C[number],
  description: string,
) => ({ name, kind: "enum", default: value, description, choices }) satisfies EnumField;
const listOf = <const N extends string, const C extends readonly string[]>(
  name: N,
  choices: C,
  value: readonly C[number][],
  description: string,
) => ({ name, kind: "string_list", default: value, description, choices }) satisfies ListField;
const strings = <const N extends string>(name: N, value: readonly string[], description: string) =>
  ({ name, kind: "string_list", default: value, description }) satisfies ListField;
const hostPort = <const N extends string>(name: N, description: string) =>
  ({ name, kind: "string", default: "", description, format: "host_port" }) satisfies StringField;
const hostPorts = <const N extends string>(name: N, value: readonly string[], description: string) =>
  ({ name, kind: "host_port_list", default: value, description }) satisfies ListField;

const PORT = { min: 1, max: 65535 } as const;
const POSITIVE = { min: 1 } as const;
const SECONDS = { min: 0, exclusiveMin: true } as const;

/** The settings table: one descriptor per setting, in help and YAML output order. */
export const SETTINGS_SCHEMA = [
  // Dynamic ports.
  bool("enable_dynamic_ports", true, "Allocate node ports from the base_port..max_port range"),
  int("base_port", 7000, "First port of the dynamic port range", PORT),
  int("max_port", 7999, "Last port of the dynamic port range", PORT),
  float("port_allocation_timeout", 10.0, "Seconds to wait for a free port before giving up", SECONDS),
  // Multi-level bootstrap.
  bool("enable_multi_level_bootstrap", true, "Bootstrap through the super, regional and local tiers"),
  hostPorts("super_bootstrap_nodes", ["127.0.0.1:5678", "127.0.0.1:5679"], "Super bootstrap nodes (host:port)"),
  int("regional_bootstrap_count", 16, "Number of regional bootstrap nodes", POSITIVE),
  int("local_bootstrap_count", 64, "Number of local bootstrap nodes", POSITIVE),
  // Adaptive Kademlia parameters.
  bool("enable_adaptive_kademlia", true, "Adapt k, alpha and timeouts to the estimated network size"),
  int("small_network_threshold", 50, "Largest network size (nodes) treated as small", POSITIVE),
  int("medium_network_threshold", 200, "Largest network size (nodes) treated as medium", POSITIVE),
  int("large_network_threshold", 500, "Largest network size (nodes) treated as large", POSITIVE),
  int("xlarge_network_threshold", 1000, "Largest network size (nodes) treated as extra large", POSITIVE),
  // Health checks.
  bool("enable_health_check", true, "Run periodic health checks"),
  listOf("health_check_levels", ["fast", "medium", "deep"], ["fast", "medium", "deep"], "Health check levels to run"),
  int("fast_check_interval", 30, "Seconds between fast health checks", POSITIVE),
  int("medium_check_interval", 120, "Seconds between medium health checks", POSITIVE),
  int("deep_check_interval", 600, "Seconds between deep health checks", POSITIVE),
  int(
    "host_health_check_rate",
    200,
    "Health-check RPCs per second one host process of the local cluster sends for all its nodes (0 = no limit)",
    { min: 0 },
  ),
  // Adaptive refresh.
  bool("enable_adaptive_refresh", true, "Adapt the bucket refresh rate to network activity"),
  int("refresh_optimization_interval", 300, "Seconds between refresh-rate optimisations", POSITIVE),
  bool("immediate_refresh_enabled", true, "Refresh at once when the routing table changes a lot"),
  int("active_refresh_min_interval", 15, "Shortest refresh interval (seconds) in an active network", POSITIVE),
  int("stable_refresh_max_interval", 600, "Longest refresh interval (seconds) in a stable network", POSITIVE),
  // Performance and scalability.
  int("target_nodes", 1000, "Number of nodes the deployment is sized for", POSITIVE),
  int("max_concurrent_operations", 1000, "Most DHT operations running at once", POSITIVE),
  bool("performance_monitoring_enabled", true, "Collect performance metrics"),
  // Fallback and compatibility.
  bool("enable_fallback_mode", true, "Fall back to static bootstrap nodes and port when the tiers fail"),
  bool(
    "legacy_compatibility_mode",
    false,
    "Interoperate with legacy nodes: in secure mode, accept plaintext frames and answer them in plaintext",
  ),
  hostPorts(
    "legacy_peers",
    [],
    "Legacy nodes (host:port) that may speak plaintext in legacy compatibility mode; every other address must seal",
  ),
  hostPorts("fallback_bootstrap_nodes", ["127.0.0.1:5678", "127.0.0.1:5679"], "Bootstrap nodes used in fallback mode"),
  int("fallback_static_port", 7000, "Port used in fallback mode", PORT),
  // This node.
  nonEmptyStr("bind_host", "127.0.0.1", "Address the node's UDP socket binds to"),
  str(
    "advertise_host",
    "",
    "IP address other nodes are told to reach this node at (empty = the bound one; bound to 0.0.0.0, the one a " +
      "bootstrap node sees)",
  ),
  int("dht_port", 0, "UDP port of the node (0 = let the OS pick)", { min: 0, max: 65535 }),
  str("node_name", "", "Human label of the node, e.g. sb-primary", { env: ["NODE_ID"] }),
  str("worker_id", "", "Identifier of the worker this node runs"),
  hostPorts("bootstrap_nodes", [], "Nodes to bootstrap from (host:port; host names are resolved)"),
  oneOf("bootstrap_level", ["", "super", "regional", "local"], "", "Bootstrap tier served (empty = none)"),
  str("region", "", "Region label used to group regional bootstrap nodes"),
  int("max_connections", 0, "Connection limit (0 = the tier's default)", { min: 0 }),
  int("ksize", 20, "Bucket size k, also the replication factor", { min: 2, max: 200 }),
  int("alpha", 3, "Lookup concurrency", { min: 1, max: 32 }),
  float("rpc_timeout", 5.0, "Seconds to wait for an RPC reply", SECONDS),
  float("lookup_stall_timeout", 1.0, "Seconds after which a lookup stops waiting for a silent contact", SECONDS),
  int("value_ttl", 604800, "Seconds a stored value lives unless republished", POSITIVE),
  int("republish_interval", 3600, "Seconds between republishes of stored values", POSITIVE),
  int("refresh_interval", 3600, "Seconds after which an idle bucket is refreshed", POSITIVE),
  int("max_value_bytes", 8140, "Largest msgpack-encoded value in bytes (8140 fills one legacy 8 KiB store request)", {
    min: 1,
    max: 8140,
  }),
  int("max_stored_values", 100000, "Most values one node stores", POSITIVE),
  int("max_storage_bytes", 268435456, "Most bytes of values one node stores (msgpack-encoded; 256 MiB)", POSITIVE),
  nonEmptyStr("state_dir", ".state", "Directory for state files"),
  oneOf("log_level", ["debug", "info", "warn", "error"], "info", "Least severe log level printed"),
  // Adaptive parameters, health checks and discovery (docs/network.md#node-services).
  int("adaptive_analysis_interval", 60, "Seconds between analyses of the network size and dynamics", POSITIVE),
  float("fast_check_timeout", 2.0, "Seconds allowed for a fast health check (ping)", SECONDS),
  float("medium_check_timeout", 5.0, "Seconds allowed for a medium health check (ping, find_node, store/get)", SECONDS),
  float("deep_check_timeout", 15.0, "Seconds allowed for a deep health check (full DHT suite)", SECONDS),
  int("discovery_cache_ttl", 120, "Seconds a discovered node stays in the discovery cache", POSITIVE),
  int("discovery_cache_size", 2000, "Most nodes kept in the discovery cache", POSITIVE),
  // Key generation (docs/key-exchange.md).
  float("qber_threshold", 0.11, "Estimated QBER above which a key exchange aborts", { min: 0, max: 0.5 }),
  hostPort(
    "bob_address",
    "Bob's address (host:port; host names are resolved) for key exchanges Alice's admin API runs",
  ),
  float("key_length_multiplier", 2.5, "Raw positions per requested key bit in the first round (lk = ceil(m * lc))", {
    min: 1,
  }),
  // Who Alice and Bob run key exchanges with (docs/key-exchange-security.md): pinned keys and/or an authority.
  strings("trusted_peers", [], "Ed25519 identity keys (hex) of the Alice or Bob this node runs key exchanges with"),
  str("keygen_authority_key", "", "Ed25519 public key (hex) of the authority whose role certificates count"),
  str("role_certificate", "", "This Alice's or Bob's role certificate (`cqkd secret certify --role alice|bob`)"),
  int("collusion", 1, "Colluding workers a key exchange's privacy amplification protects against", POSITIVE),
  // Admin HTTP API of `cqkd node` (docs/admin-api.md); host processes of the local cluster serve theirs on a free port.
  str("admin_host", "127.0.0.1", "Address the admin HTTP API of `cqkd node` binds"),
  int("admin_port", 0, "Port of the admin HTTP API of `cqkd node` (0 = any free port, printed at start)", {
    min: 0,
    max: 65535,
  }),
  str(
    "admin_token",
    "",
    "Bearer token (16+ characters) for the admin API's mutating endpoints, and its reads off loopback " +
      "(empty = mutations refused)",
  ),
  strings(
    "admin_allowed_hosts",
    [],
    "Host names (besides IP addresses and localhost) the admin API answers under, against DNS rebinding (* = any)",
  ),
  // Admin access control and audit (docs/security.md).
  str(
    "admin_tokens_file",
    "",
    "YAML list of admin API tokens {name, token or sha256, scope: read|write} (empty = none)",
  ),
  float("admin_rate_limit", 20, "Admin API requests per second per client address and per token (0 = no limit)", {
    min: 0,
  }),
  int("admin_rate_burst", 60, "Admin API requests a client may send at once before admin_rate_limit applies", POSITIVE),
  str(
    "audit_log_file",
    "",
    "JSON-lines audit log of admin mutations and ops procedures (empty = <state_dir>/audit.jsonl)",
  ),
  // Bootstrap authentication: with either of the first two set, joiners accept only signed answers.
  strings("trusted_bootstrap_keys", [], "Ed25519 public keys (hex) of the bootstrap nodes a joiner trusts"),
  str("bootstrap_authority_key", "", "Ed25519 public key (hex) of the authority whose bootstrap certificates count"),
  str("bootstrap_certificate", "", "This bootstrap node's certificate from the authority (`cqkd secret certify`)"),
  // Secure transport (docs/security.md).
  str(
    "cluster_key_file",
    "",
    "Cluster keyring file from `cqkd secret generate`: every datagram sealed (empty = the keys in CQKD_CLUSTER_KEY, " +
      "or plaintext when that is unset too)",
  ),
  float(
    "replay_window",
    30.0,
    "Seconds a sealed datagram's timestamp may lag before it counts as a replay (ahead of the clock: 2 s at most)",
    SECONDS,
  ),
  int("replay_cache_size", 100000, "Message ids each node remembers against replays (secure mode)", { min: 2 }),
  // Fault injection: a testing aid (the multi-host fault tests' loss and delay, where the kernel has no `tc netem`).
  float("fault_drop_probability", 0, "Testing aid: share of outgoing datagrams dropped on purpose (0 = off)", {
    min: 0,
    max: 1,
  }),
  int("fault_delay_ms", 0, "Testing aid: milliseconds every outgoing datagram is held back (0 = off)", { min: 0 }),
  int("fault_delay_jitter_ms", 0, "Testing aid: up to this many more milliseconds of delay, random per datagram", {
    min: 0,
  }),
] as const;

/** The descriptor type of one {@linkcode SETTINGS_SCHEMA} entry, with its literal name and choices. */
export type SchemaField = (typeof SETTINGS_SCHEMA)[number];

/** The value type a descriptor's kind (and choices) gives its setting. */
export type ValueOfField<F> = F extends { kind: "bool" } ? boolean
  : F extends { kind: "int" | "float" } ? number
  : F extends { kind: "enum"; choices: readonly (infer C)[] } ? C
  : F extends { kind: "string_list"; choices: readonly (infer C)[] } ? readonly C[]
  : F extends { kind: "string_list" | "host_port_list" } ? readonly string[]
  : string;

/** Name of a known setting. */
export type SettingName = SchemaField["name"];

/** The resolved, frozen configuration of a process; one property per {@linkcode SETTINGS_SCHEMA} entry. */
export type Settings = { readonly [F in SchemaField as F["name"]]: ValueOfField<F> };

const FIELDS: ReadonlyMap<string, FieldSpec> = new Map(SETTINGS_SCHEMA.map((field) => [field.name, field]));

/** Returns the descriptor of a setting, or `undefined` when no setting has that name. */
export function settingField(name: string): FieldSpec | undefined {
  return FIELDS.get(name);
}

/** Every setting at its default value. */
export const DEFAULT_SETTINGS: Settings = freezeSettings(
  Object.fromEntries(SETTINGS_SCHEMA.map((field) => [field.name, field.default])) as Record<SettingName, SettingValue>,
);
