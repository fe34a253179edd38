import assert from "node:assert/strict";
import { stringify } from "yaml";
import { ConfigError } from "./errors.ts";
import type { FieldSpec, SettingValue } from "./field.ts";
import { loadSettings, parseAssignment } from "./load.ts";
import { DEFAULT_SETTINGS, type Settings, SETTINGS_SCHEMA } from "./schema.ts";

/** Runs `fn` with the path of a temporary YAML file holding `text`, then removes it. */
async function withConfigFile(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cqkd_config_test_" });
  try {
    const path = `${dir}/cqkd.yaml`;
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A valid value for `field` that differs from its default and from the other layers' (`layer` 1, 2 or 3). */
function sample(field: FieldSpec, layer: number): SettingValue {
  switch (field.kind) {
    case "bool":
      return layer % 2 === 1 ? !field.default : field.default;
    case "int":
    case "float": {
      // Narrow ranges (a rate within 0-0.5) take small steps.
      const narrow = field.max !== undefined && field.max - (field.min ?? 0) < 2;
      const step = field.kind === "int" ? layer : narrow ? layer / 100 : layer / 2;
      return field.max !== undefined && field.default + step > field.max ? field.default - step : field.default + step;
    }
    case "string":
      return field.format === "host_port" ? `${field.name}-${layer}.example:${5000 + layer}` : `${field.name}-${layer}`;
    case "enum":
      return field.choices.filter((choice) => choice !== field.default)[layer - 1] ?? assert.fail(field.name);
    case "string_list":
      if (field.choices === undefined) return [`${field.name}-${layer}`];
      return [field.choices[layer - 1] ?? assert.fail(field.name)];
    case "host_port_list":
      return [`node-${layer}.example:${5000 + layer}`];
  }
}

const layerValues = (layer: number) => Object.fromEntries(SETTINGS_SCHEMA.map((f) => [f.name, sample(f, layer)]));
const asText = (values: Record<string, SettingValue>) =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, [value].flat().join(",")]));
const asEnv = (values: Record<string, SettingValue>) =>
  Object.fromEntries(Object.entries(asText(values)).map(([name, value]) => [name.toUpperCase(), value]));

function assertFieldByField(settings: Settings, expected: Record<string, SettingValue>): void {
  for (const { name } of SETTINGS_SCHEMA) assert.deepEqual(settings[name], expected[name], name);
}

async function assertConfigError(promise: Promise<unknown>, expected: Partial<ConfigError>): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.name, "ConfigError");
    for (const [key, value] of Object.entries(expected)) assert.equal(error[key as keyof ConfigError], value, key);
    return true;
  });
}

Deno.test("loadSettings() returns the frozen defaults when no layer sets anything", async () => {
  const settings = await loadSettings({ env: {} });
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.ok(Object.isFrozen(settings) && Object.isFrozen(settings.bootstrap_nodes));
});

Deno.test("loadSettings() applies defaults < YAML file < env < flags field by field", async (t) => {
  const [file, env, flags] = [layerValues(1), layerValues(2), layerValues(3)];
  await withConfigFile(stringify(file), async (configPath) => {
    await t.step("the YAML file overrides the defaults", async () => {
      assertFieldByField(await loadSettings({ configPath, env: {} }), file);
    });
    await t.step("loadSettings() lets env override the YAML file", async () => {
      assertFieldByField(await loadSettings({ configPath, env: asEnv(env) }), env);
    });
    await t.step("loadSettings() lets flags override env", async () => {
      assertFieldByField(await loadSettings({ configPath, env: asEnv(env), flags }), flags);
    });
    await t.step("loadSettings() parses string flags like env", async () => {
      assertFieldByField(await loadSettings({ configPath, env: asEnv(env), flags: asText(flags) }), flags);
    });
    await t.step("a layer leaves the settings it does not name alone", async () => {
      const settings = await loadSettings({ configPath, env: { KSIZE: "7" }, flags: { alpha: 9, port: undefined } });
      assertFieldByField(settings, { ...file, ksize: 7, alpha: 9 });
    });
  });
});

Deno.test("loadSettings() reads the container env aliases", async () => {
  const settings = await loadSettings({
    env: {
      DHT_PORT: "5678",
      NODE_ID: "sb-primary",
      WORKER_ID: "worker-3",
      BOOTSTRAP_LEVEL: "super",
      REGION: "eu-west",
      BOOTSTRAP_NODES: "cqkd-sb-primary:5678,cqkd-sb-secondary:5679",
      MAX_CONNECTIONS: "500",
      ENABLE_DYNAMIC_PORTS: "false",
      PATH: "/usr/bin",
      UNRELATED: "not a setting",
    },
  });
  assert.equal(settings.dht_port, 5678);
  assert.equal(settings.node_name, "sb-primary");
  assert.equal(settings.worker_id, "worker-3");
  assert.equal(settings.bootstrap_level, "super");
  assert.equal(settings.region, "eu-west");
  assert.deepEqual(settings.bootstrap_nodes, ["cqkd-sb-primary:5678", "cqkd-sb-secondary:5679"]);
  assert.equal(settings.max_connections, 500);
  assert.equal(settings.enable_dynamic_ports, false);
});

Deno.test("loadSettings() refuses an alias that disagrees with the upper-case name", async () => {
  assert.equal((await loadSettings({ env: { NODE_NAME: "sb-1", NODE_ID: "sb-1" } })).node_name, "sb-1");
  await assertConfigError(loadSettings({ env: { NODE_NAME: "sb-1", NODE_ID: "sb-2" } }), {
    field: "node_name",
    source: "env",
    message: `Conflicting setting node_name from env: NODE_NAME is "sb-1" but NODE_ID is "sb-2"`,
  });
});

Deno.test("loadSettings() reads Deno.env when no env is given", async () => {
  Deno.env.set("LOCAL_BOOTSTRAP_COUNT", "32");
  try {
    assert.equal((await loadSettings()).local_bootstrap_count, 32);
  } finally {
    Deno.env.delete("LOCAL_BOOTSTRAP_COUNT");
  }
});

Deno.test("loadSettings() names the field, value, source and allowed values of a bad value", async () => {
  await assertConfigError(loadSettings({ env: { BASE_PORT: "abc" } }), {
    field: "base_port",
    source: "env",
    allowed: "integer 1-65535",
    message: `Invalid setting base_port from env BASE_PORT: "abc" is not an integer (allowed: integer 1-65535)`,
  });
  await assertConfigError(loadSettings({ env: {}, flags: { bootstrap_level: "mega" } }), {
    field: "bootstrap_level",
    source: "flag",
    message: `Invalid setting bootstrap_level from flag bootstrap_level: "mega" is not one of the choices ` +
      `(allowed: one of "", "super", "regional", "local")`,
  });
  await assertConfigError(loadSettings({ env: { BOB_ADDRESS: "bob" } }), {
    field: "bob_address",
    allowed: "host:port with port 1-65535, or empty",
  });
  await withConfigFile("ksize: 20\nhealth_check_levels: [fast, slow]\n", async (configPath) => {
    await assertConfigError(loadSettings({ configPath, env: {} }), {
      field: "health_check_levels",
      source: "file",
      message: `Invalid setting health_check_levels from file ${configPath} line 2: item "slow" is not one of the ` +
        `choices (allowed: comma-separated list of "fast", "medium", "deep")`,
    });
  });
});

Deno.test("loadSettings() refuses unknown settings, suggesting a close name", async () => {
  await withConfigFile("base_port: 7100\nbase_prot: 7200\n", async (configPath) => {
    await assertConfigError(loadSettings({ configPath, env: {} }), {
      field: "base_prot",
      source: "file",
      message: `Unknown setting base_prot in file ${configPath} line 2 (did you mean base_port?)`,
    });
  });
  await assertConfigError(loadSettings({ env: {}, flags: { "Bootstrap-Nodes": [] } }), {
    field: "Bootstrap-Nodes",
    source: "flag",
    message: "Unknown setting Bootstrap-Nodes in flags (did you mean bootstrap_nodes?)",
  });
  await assertConfigError(loadSettings({ env: {}, flags: { colour: "blue" } }), {
    message: "Unknown setting colour in flags",
  });
});

Deno.test("loadSettings() reads the YAML file's string forms and tolerates an empty file", async () => {
  const text = `fallback_bootstrap_nodes: "10.0.0.1:5678,10.0.0.2:5679"\nenable_health_check: "no"\nrpc_timeout: 2\n`;
  await withConfigFile(text, async (configPath) => {
    const settings = await loadSettings({ configPath, env: {} });
    assert.deepEqual(settings.fallback_bootstrap_nodes, ["10.0.0.1:5678", "10.0.0.2:5679"]);
    assert.equal(settings.enable_health_check, false);
    assert.equal(settings.rpc_timeout, 2);
  });
  await withConfigFile("# nothing set\n", async (configPath) => {
    assert.deepEqual(await loadSettings({ configPath, env: {} }), DEFAULT_SETTINGS);
  });
});

Deno.test("loadSettings() names the file of an unreadable or malformed config", async () => {
  await withConfigFile("base_port: 7100\nmax_port: [8000\nksize: 4\n", async (configPath) => {
    await assertConfigError(loadSettings({ configPath, env: {} }), {
      field: "",
      source: "file",
      message: `Invalid YAML in config file ${configPath} at line 3, column 1: Flow sequence in block collection ` +
        "must be sufficiently indented and end with a ]",
    });
  });
  await withConfigFile("- base_port\n", async (configPath) => {
    await assertConfigError(loadSettings({ configPath, env: {} }), {
      message: `Invalid config file ${configPath}: the top level is not a mapping of setting names to values`,
    });
  });
  await withConfigFile("", async (configPath) => {
    const missing = `${configPath}.missing`;
    await assertConfigError(loadSettings({ configPath: missing, env: {} }), {
      source: "file",
      message: `Cannot read config file ${missing}: no such file`,
    });
  });
});

Deno.test("parseAssignment() splits a --set argument at the first =", async () => {
  assert.deepEqual(parseAssignment("ksize=8"), ["ksize", "8"]);
  assert.deepEqual(parseAssignment("node_name=a=b"), ["node_name", "a=b"]);
  assert.deepEqual(parseAssignment("region="), ["region", ""]);
  const [name, value] = parseAssignment("bootstrap_nodes=sb-primary:5678");
  assert.deepEqual((await loadSettings({ env: {}, flags: { [name]: value } })).bootstrap_nodes, ["sb-primary:5678"]);
});

Deno.test("parseAssignment() refuses a missing = or an unknown name", () => {
  assert.throws(() => parseAssignment("ksize"), {
    name: "ConfigError",
    source: "flag",
    message: `Invalid --set argument "ksize": expected name=value`,
  });
  assert.throws(() => parseAssignment("=8"), ConfigError);
  assert.throws(() => parseAssignment("kszie=8"), {
    name: "ConfigError",
    field: "kszie",
    message: "Unknown setting kszie in --set kszie=8 (did you mean ksize?)",
  });
});
