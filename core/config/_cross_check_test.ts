import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { loadSettings, type LoadSettingsOptions } from "./load.ts";

async function assertRefused(options: LoadSettingsOptions, field: string, message: string): Promise<void> {
  await assert.rejects(loadSettings(options), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.field, field);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("loadSettings() refuses a base_port above max_port", async () => {
  await assertRefused(
    { env: { BASE_PORT: "8000" } },
    "base_port",
    "Invalid setting base_port from env BASE_PORT: 8000 is greater than max_port 7999 (allowed: base_port <= max_port)",
  );
  const settings = await loadSettings({ env: { BASE_PORT: "7100", MAX_PORT: "7100" } });
  assert.deepEqual([settings.base_port, settings.max_port], [7100, 7100]);
});

Deno.test("loadSettings() blames the field set by the higher-precedence layer", async () => {
  await assertRefused(
    { env: { BASE_PORT: "7100" }, flags: { max_port: 7050 } },
    "max_port",
    "Invalid setting max_port from flag max_port: 7050 is less than base_port 7100 (allowed: max_port >= base_port)",
  );
});

Deno.test("loadSettings() requires strictly increasing network size thresholds", async () => {
  await assertRefused(
    { env: { MEDIUM_NETWORK_THRESHOLD: "50" } },
    "medium_network_threshold",
    "Invalid setting medium_network_threshold from env MEDIUM_NETWORK_THRESHOLD: 50 is not greater than " +
      "small_network_threshold 50 (allowed: medium_network_threshold > small_network_threshold)",
  );
  await assertRefused(
    { env: {}, flags: { large_network_threshold: "1000" } },
    "large_network_threshold",
    "Invalid setting large_network_threshold from flag large_network_threshold: 1000 is not less than " +
      "xlarge_network_threshold 1000 (allowed: large_network_threshold < xlarge_network_threshold)",
  );
});

Deno.test("loadSettings() refuses an active refresh interval above the stable one", async () => {
  await assertRefused(
    { env: { ACTIVE_REFRESH_MIN_INTERVAL: "900" } },
    "active_refresh_min_interval",
    "Invalid setting active_refresh_min_interval from env ACTIVE_REFRESH_MIN_INTERVAL: 900 is greater than " +
      "stable_refresh_max_interval 600 (allowed: active_refresh_min_interval <= stable_refresh_max_interval)",
  );
});
