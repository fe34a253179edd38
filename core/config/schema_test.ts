import assert from "node:assert/strict";
import { DEFAULT_SETTINGS, settingField, type Settings, SETTINGS_SCHEMA } from "./schema.ts";
import { envNamesOf } from "./field.ts";

const EXPECTED_DEFAULTS = {
  enable_dynamic_ports: true,
  base_port: 7000,
  max_port: 7999,
  port_allocation_timeout: 10.0,
  enable_multi_level_bootstrap: true,
  super_bootstrap_nodes: ["127.0.0.1:5678", "127.0.0.1:5679"],
  regional_bootstrap_count: 16,
  local_bootstrap_count: 64,
  enable_adaptive_kademlia: true,
  small_network_threshold: 50,
  medium_network_threshold: 200,
  large_network_threshold: 500,
  xlarge_network_threshold: 1000,
  enable_health_check: true,
  health_check_levels: ["fast", "medium", "deep"],
  fast_check_interval: 30,
  medium_check_interval: 120,
  deep_check_interval: 600,
  host_health_check_rate: 200,
  enable_adaptive_refresh: true,
  refresh_optimization_interval: 300,
  immediate_refresh_enabled: true,
  active_refresh_min_interval: 15,
  stable_refresh_max_interval: 600,
  target_nodes: 1000,
  max_concurrent_operations: 1000,
  performance_monitoring_enabled: true,
  enable_fallback_mode: true,
  legacy_compatibility_mode: false,
  legacy_peers: [],
  fallback_bootstrap_nodes: ["127.0.0.1:5678", "127.0.0.1:5679"],
  fallback_static_port: 7000,
  bind_host: "127.0.0.1",
  advertise_host: "",
  dht_port: 0,
  node_name: "",
  worker_id: "",
  bootstrap_nodes: [],
  bootstrap_level: "",
  region: "",
  max_connections: 0,
  ksize: 20,
  alpha: 3,
  rpc_timeout: 5.0,
  lookup_stall_timeout: 1.0,
  value_ttl: 604800,
  republish_interval: 3600,
  refresh_interval: 3600,
  max_value_bytes: 8140,
  max_stored_values: 100000,
  max_storage_bytes: 268435456,
  state_dir: ".state",
  log_level: "info",
  adaptive_analysis_interval: 60,
  fast_check_timeout: 2.0,
  medium_check_timeout: 5.0,
  deep_check_timeout: 15.0,
  discovery_cache_ttl: 120,
  discovery_cache_size: 2000,
  qber_threshold: 0.11,
  bob_address: "",
  key_length_multiplier: 2.5,
  trusted_peers: [],
  keygen_authority_key: "",
  role_certificate: "",
  collusion: 1,
  admin_host: "127.0.0.1",
  admin_port: 0,
  admin_token: "",
  admin_allowed_hosts: [],
  admin_tokens_file: "",
  admin_rate_limit: 20,
  admin_rate_burst: 60,
  audit_log_file: "",
  trusted_bootstrap_keys: [],
  bootstrap_authority_key: "",
  bootstrap_certificate: "",
  cluster_key_file: "",
  replay_window: 30.0,
  replay_cache_size: 100000,
  fault_drop_probability: 0,
  fault_delay_ms: 0,
  fault_delay_jitter_ms: 0,
} satisfies Settings;

Deno.test("DEFAULT_SETTINGS keeps the agreed default of every setting", () => {
  assert.deepEqual(SETTINGS_SCHEMA.map((field) => field.name), Object.keys(EXPECTED_DEFAULTS));
  for (const field of SETTINGS_SCHEMA) {
    assert.deepEqual(DEFAULT_SETTINGS[field.name], EXPECTED_DEFAULTS[field.name], field.name);
  }
});

Deno.test("DEFAULT_SETTINGS is frozen, lists included", () => {
  assert.ok(Object.isFrozen(DEFAULT_SETTINGS));
  assert.ok(Object.isFrozen(DEFAULT_SETTINGS.super_bootstrap_nodes));
  assert.throws(() => (DEFAULT_SETTINGS as { base_port: number }).base_port = 1, TypeError);
});

Deno.test("Settings gives each setting the type of its kind", () => {
  const port: number = DEFAULT_SETTINGS.base_port;
  const enabled: boolean = DEFAULT_SETTINGS.enable_health_check;
  const level: "" | "super" | "regional" | "local" = DEFAULT_SETTINGS.bootstrap_level;
  const levels: readonly ("fast" | "medium" | "deep")[] = DEFAULT_SETTINGS.health_check_levels;
  const nodes: readonly string[] = DEFAULT_SETTINGS.bootstrap_nodes;
  // @ts-expect-error base_port is a number
  const wrong: string = DEFAULT_SETTINGS.base_port;
  assert.deepEqual([port, enabled, level, levels.length, nodes.length, wrong], [7000, true, "", 3, 0, 7000]);
});

Deno.test("SETTINGS_SCHEMA has one snake_case, described entry per setting", () => {
  const names = SETTINGS_SCHEMA.map((field) => field.name);
  assert.equal(new Set(names).size, names.length);
  for (const field of SETTINGS_SCHEMA) {
    assert.match(field.name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    assert.match(field.description, /^[A-Z][^\n]*[^.]$/, field.name);
  }
});

Deno.test("SETTINGS_SCHEMA bounds ports and keeps counts and intervals positive", () => {
  const bounds = (name: string) => {
    const field = settingField(name);
    return field?.kind === "int" || field?.kind === "float" ? [field.min, field.max] : undefined;
  };
  for (const name of ["base_port", "max_port", "fallback_static_port"]) assert.deepEqual(bounds(name), [1, 65535]);
  assert.deepEqual(bounds("dht_port"), [0, 65535]);
  assert.deepEqual(bounds("ksize"), [2, 200]);
  assert.deepEqual(bounds("alpha"), [1, 32]);
  assert.deepEqual(bounds("max_value_bytes"), [1, 8140]);
  for (
    const name of ["fast_check_interval", "target_nodes", "value_ttl", "refresh_interval", "local_bootstrap_count"]
  ) {
    assert.deepEqual(bounds(name), [1, undefined], name);
  }
});

Deno.test("settingField() finds a descriptor by name", () => {
  assert.equal(settingField("ksize")?.kind, "int");
  assert.deepEqual(settingField("bootstrap_level"), {
    name: "bootstrap_level",
    kind: "enum",
    default: "",
    description: "Bootstrap tier served (empty = none)",
    choices: ["", "super", "regional", "local"],
  });
  assert.equal(settingField("KSIZE"), undefined);
});

Deno.test("envNamesOf() lists the upper-case name first, then the aliases", () => {
  const names = (name: string) => envNamesOf(settingField(name) ?? assert.fail(name));
  assert.deepEqual(names("node_name"), ["NODE_NAME", "NODE_ID"]);
  assert.deepEqual(names("node_name"), ["NODE_NAME", "NODE_ID"]);
  assert.deepEqual(names("bootstrap_nodes"), ["BOOTSTRAP_NODES"]);
  assert.deepEqual(names("enable_dynamic_ports"), ["ENABLE_DYNAMIC_PORTS"]);
});
