import assert from "node:assert/strict";
import { loadSettings } from "./load.ts";
import { nodeOptionsFrom, servicesOptionsFrom } from "./node_options.ts";

Deno.test("nodeOptionsFrom() passes advertise_host on only when it is set", async () => {
  const container = await loadSettings({ env: { BIND_HOST: "0.0.0.0", ADVERTISE_HOST: "172.20.1.1" } });
  assert.deepEqual([nodeOptionsFrom(container).host, nodeOptionsFrom(container).advertisedHost], [
    "0.0.0.0",
    "172.20.1.1",
  ]);
  assert.equal("advertisedHost" in nodeOptionsFrom(await loadSettings({ env: {} })), false);
});

Deno.test("servicesOptionsFrom() maps the adaptive, health, refresh and discovery settings", async () => {
  const settings = await loadSettings({
    env: {
      ENABLE_ADAPTIVE_KADEMLIA: "false",
      MEDIUM_NETWORK_THRESHOLD: "150",
      HEALTH_CHECK_LEVELS: "fast,deep",
      FAST_CHECK_INTERVAL: "10",
      FAST_CHECK_TIMEOUT: "1.5",
      IMMEDIATE_REFRESH_ENABLED: "false",
      DISCOVERY_CACHE_TTL: "30",
    },
  });
  const options = servicesOptionsFrom(settings);
  assert.equal(options.adaptive?.enabled, false);
  assert.deepEqual(options.adaptive?.thresholds, { small: 50, medium: 150, large: 500, xlarge: 1000 });
  assert.deepEqual(options.health?.levels, ["fast", "deep"]);
  assert.deepEqual(options.health?.fast, { intervalS: 10, timeoutMs: 1500 });
  assert.deepEqual(options.health?.medium, { intervalS: 120, timeoutMs: 5000 });
  assert.deepEqual(options.refresh, {
    enabled: true,
    immediate: false,
    activeMinIntervalS: 15,
    stableMaxIntervalS: 600,
    optimizationIntervalS: 300,
  });
  assert.deepEqual(options.discovery, { cache: { ttlS: 30, maxEntries: 2000 } });
});
