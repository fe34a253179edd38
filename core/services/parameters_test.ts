import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { NodeId } from "../kademlia/mod.ts";
import { attachNodeServices } from "./node_services.ts";
import { ParameterError, readParameters, ServiceOffError, tuneParameters } from "./parameters.ts";
import { joinedNodes } from "../../tests/_network.ts";

Deno.test("readParameters() reports every group in force on a node with its services", async () => {
  await using host = new NodeHost();
  const [node] = await joinedNodes(host, 3);
  await using services = attachNodeServices(node!);
  const parameters = readParameters({ node: node!, services });
  assert.deepEqual(parameters.kademlia.values, { alpha: 3, k: 20, timeout_ms: 5000, refresh_interval_s: 3600 });
  assert.deepEqual(parameters.kademlia.pinned, []);
  assert.equal(parameters.kademlia.state.adaptive, true);
  assert.deepEqual(parameters["health-check"].values, {
    fast_interval_s: 30,
    fast_timeout_ms: 2000,
    medium_interval_s: 120,
    medium_timeout_ms: 5000,
    deep_interval_s: 600,
    deep_timeout_ms: 15000,
  });
  assert.deepEqual(parameters.refresh.values, {
    active_min_interval_s: 15,
    stable_max_interval_s: 600,
    optimization_interval_s: 300,
  });
  assert.equal(parameters.refresh.state.strategy, "maintenance", "a table that changes little: the slowest strategy");
});

Deno.test("tuneParameters() pins a kademlia parameter on the live node until a reset hands it back", async () => {
  await using host = new NodeHost();
  const nodes = await joinedNodes(host, 12);
  const node = nodes[0]!;
  await using services = attachNodeServices(node);
  services.adaptive.analyze();
  const tuned = tuneParameters({ node, services }, "kademlia", { set: { k: 5, alpha: 2 } });
  assert.deepEqual([tuned.values.k, tuned.values.alpha, tuned.pinned], [5, 2, ["alpha", "k"]]);
  assert.deepEqual([node.table.k, node.alpha], [5, 2], "the node uses them at once");
  services.adaptive.analyze();
  assert.equal(node.table.k, 5, "the adaptive analysis leaves a pinned k alone");
  assert.equal((await node.findNode(NodeId.random())).length, 5, "lookups return k = 5 contacts");
  const reset = tuneParameters({ node, services }, "kademlia", { reset: true });
  assert.deepEqual([reset.values.k, reset.values.alpha, reset.pinned], [20, 3, []]);
  assert.equal(node.table.k, 20);
});

Deno.test("tuneParameters() changes health-check and refresh timing live, and reset restores the node's own", async () => {
  await using host = new NodeHost();
  const [node] = await joinedNodes(host, 3);
  await using services = attachNodeServices(node!);
  const target = { node: node!, services };
  const health = tuneParameters(target, "health-check", { set: { fast_interval_s: 5, deep_timeout_ms: 9000 } });
  assert.equal(health.values.fast_interval_s, 5);
  assert.deepEqual(services.health!.timing("deep").timeoutMs, 9000);
  const refresh = tuneParameters(target, "refresh", { set: { stable_max_interval_s: 900 } });
  assert.equal(refresh.values.stable_max_interval_s, 900);
  assert.equal(services.refresh!.timing.stableMaxIntervalS, 900);
  tuneParameters(target, "health-check", { reset: true });
  tuneParameters(target, "refresh", { reset: true });
  const after = readParameters(target);
  assert.equal(after["health-check"].values.fast_interval_s, 30);
  assert.equal(after.refresh.values.stable_max_interval_s, 600);
});

Deno.test("tuneParameters() refuses unknown and out-of-bounds parameters by name, changing nothing", async () => {
  await using host = new NodeHost();
  const [node] = await joinedNodes(host, 2);
  await using services = attachNodeServices(node!, { health: { enabled: false } });
  const target = { node: node!, services };
  const refused = (group: "kademlia" | "refresh", set: Record<string, number>, parameter: string, message: RegExp) =>
    assert.throws(() => tuneParameters(target, group, { set }), (error) => {
      assert.ok(error instanceof ParameterError);
      assert.equal(error.parameter, parameter);
      assert.match(error.message, message);
      return true;
    });
  refused("kademlia", { kk: 3 }, "kk", /^Unknown kademlia parameter kk: expected one of alpha, k, timeout_ms, /);
  refused("kademlia", { alpha: 2, k: 500 }, "k", /^Invalid k 500: expected a whole number within 2-200$/);
  refused("kademlia", { alpha: 2.5 }, "alpha", /^Invalid alpha 2\.5: expected a whole number within 1-32$/);
  refused(
    "refresh",
    { active_min_interval_s: 700 },
    "active_min_interval_s",
    /^Invalid active_min_interval_s 700: it must not exceed stable_max_interval_s \(600\)$/,
  );
  assert.deepEqual([node!.alpha, node!.table.k], [3, 20]);
  assert.equal(services.refresh!.timing.activeMinIntervalS, 15);
  assert.throws(
    () => tuneParameters(target, "health-check", { set: { fast_interval_s: 5 } }),
    ServiceOffError,
  );
});
