import assert from "node:assert/strict";
import { describeSettings, settingsToYaml } from "./describe.ts";
import { loadSettings } from "./load.ts";
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA } from "./schema.ts";

Deno.test("describeSettings() lists every setting with its env names and allowed values", () => {
  const rows = describeSettings();
  assert.deepEqual(rows.map((row) => row.name), SETTINGS_SCHEMA.map((field) => field.name));
  assert.deepEqual(rows.find((row) => row.name === "dht_port"), {
    name: "dht_port",
    kind: "int",
    default: 0,
    env: ["DHT_PORT"],
    allowed: "integer 0-65535",
    description: "UDP port of the node (0 = let the OS pick)",
  });
});

Deno.test("settingsToYaml() renders settings that load back equal", async () => {
  const settings = await loadSettings({
    env: { BOOTSTRAP_NODES: "sb-primary:5678", NODE_ID: "", BOOTSTRAP_LEVEL: "local", RPC_TIMEOUT: "0.25" },
  });
  const yaml = settingsToYaml(settings);
  assert.match(yaml, /^enable_dynamic_ports: true\nbase_port: 7000\n/);
  assert.match(yaml, /\nbootstrap_nodes:\n {2}- sb-primary:5678\n/);
  const dir = await Deno.makeTempDir({ prefix: "cqkd_config_test_" });
  try {
    for (const expected of [settings, DEFAULT_SETTINGS]) {
      await Deno.writeTextFile(`${dir}/cqkd.yaml`, settingsToYaml(expected));
      assert.deepEqual(await loadSettings({ configPath: `${dir}/cqkd.yaml`, env: {} }), expected);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
