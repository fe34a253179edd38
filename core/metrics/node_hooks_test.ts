import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { CqkdMetrics } from "./cqkd_metrics.ts";
import { metricsHooks } from "./node_hooks.ts";

Deno.test("metricsHooks() counts the RPCs and lookup hops of a host's nodes on real UDP", async () => {
  const metrics = new CqkdMetrics();
  await using host = new NodeHost({ ...metricsHooks(metrics), rpcTimeoutMs: 200 });
  metrics.observe(host);
  const seed = host.start();
  for (let i = 0; i < 5; i++) await host.start().bootstrap([seed.address]);
  await host.stop(seed);
  const [first] = host.nodes();
  await first!.findNode(first!.id);
  await assert.rejects(first!.ping(seed.address));
  const text = await metrics.render();
  const count = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? 0);
  assert.ok(count(/^cqkd_rpc_requests_total\{method="ping",outcome="ok"\} (\d+)$/m) >= 5);
  assert.ok(count(/^cqkd_rpc_requests_total\{method="find_node",outcome="ok"\} (\d+)$/m) > 0);
  assert.ok(count(/^cqkd_rpc_requests_total\{method="ping",outcome="timeout"\} (\d+)$/m) >= 1, "the stopped seed");
  assert.ok(count(/^cqkd_lookup_hops_count\{kind="find_node"\} (\d+)$/m) >= 6);
  assert.ok(count(/^cqkd_rpc_duration_seconds_count\{method="ping"\} (\d+)$/m) >= 5);
  const sent = count(/^cqkd_requests_sent_total (\d+)$/m);
  const counted = [...text.matchAll(/^cqkd_rpc_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
  assert.equal(counted, sent, "every request sent settles once, the stopped seed's included");
});
