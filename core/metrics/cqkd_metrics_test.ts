import assert from "node:assert/strict";
import { NodeHost } from "../host.ts";
import { TransportStats } from "../net/mod.ts";
import { CqkdMetrics } from "./cqkd_metrics.ts";
import { METRIC_DEFINITIONS, sampleNames } from "./definitions.ts";
import type { MetricsSource, ObservedNode } from "./source.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition. */
function parseSamples(text: string): Sample[] {
  return text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line) ?? assert.fail(`bad sample line: ${line}`);
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    return { name: match[1]!, labels, value: Number(match[3]) };
  });
}

/** The value of the sample with exactly this name and these labels, if rendered. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return parseSamples(text).find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)
    ?.value;
}

function fakeNode(hex: string, role: string, contacts: number): ObservedNode {
  return {
    id: { hex },
    role,
    alpha: 3,
    rpcTimeoutMs: 2000,
    table: { size: contacts, k: 20, buckets: () => [{ size: contacts }] },
  };
}

Deno.test("CqkdMetrics.rpcCompleted() counts RPCs by method and outcome and times only the answered ones", async () => {
  const metrics = new CqkdMetrics();
  metrics.rpcCompleted("find_node", "ok", 0.02);
  metrics.rpcCompleted("find_node", "ok", 0.7);
  metrics.rpcCompleted("find_node", "timeout", 5);
  metrics.rpcCompleted("ping", "aborted", 0.1);
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_rpc_requests_total", { method: "find_node", outcome: "ok" }), 2);
  assert.equal(valueOf(text, "cqkd_rpc_requests_total", { method: "find_node", outcome: "timeout" }), 1);
  assert.equal(valueOf(text, "cqkd_rpc_requests_total", { method: "ping", outcome: "aborted" }), 1);
  assert.equal(valueOf(text, "cqkd_rpc_duration_seconds_count", { method: "find_node" }), 2);
  assert.equal(valueOf(text, "cqkd_rpc_duration_seconds_bucket", { method: "find_node", le: "0.5" }), 1);
  assert.equal(valueOf(text, "cqkd_rpc_duration_seconds_count", { method: "ping" }), undefined);
});

Deno.test("CqkdMetrics.bootstrapFinished() and discoveryFinished() put alert thresholds on bucket bounds", async () => {
  const metrics = new CqkdMetrics();
  metrics.bootstrapFinished(150);
  metrics.bootstrapFinished(180);
  metrics.bootstrapFinished(200);
  metrics.discoveryFinished(61);
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_bootstrap_duration_seconds_bucket", { le: "180" }), 2);
  assert.equal(valueOf(text, "cqkd_bootstrap_duration_seconds_count"), 3);
  assert.equal(valueOf(text, "cqkd_discovery_duration_seconds_bucket", { le: "60" }), 0);
  assert.equal(valueOf(text, "cqkd_discovery_duration_seconds_count"), 1);
});

Deno.test("CqkdMetrics.healthCheck() counts checks by level and status and times them by level", async () => {
  const metrics = new CqkdMetrics();
  metrics.healthCheck("fast", "healthy", 0.01);
  metrics.healthCheck("deep", "degraded", 31);
  metrics.healthCheck("deep", "degraded", 12);
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_health_checks_total", { level: "deep", status: "degraded" }), 2);
  assert.equal(valueOf(text, "cqkd_health_checks_total", { level: "fast", status: "healthy" }), 1);
  assert.equal(valueOf(text, "cqkd_health_check_duration_seconds_bucket", { level: "deep", le: "30" }), 1);
  assert.equal(valueOf(text, "cqkd_health_check_duration_seconds_sum", { level: "deep" }), 43);
});

Deno.test("CqkdMetrics records lookups, key-generation steps, QBER and sessions", async () => {
  const metrics = new CqkdMetrics();
  metrics.lookupFinished("find_value", 3);
  metrics.keygenStep("09 collect Alice's spins and bases", 0.2);
  metrics.keygenStep("cascade", 0.004);
  metrics.qber(0.03);
  metrics.qber(0.26);
  metrics.session("completed");
  metrics.session("aborted");
  metrics.session("aborted");
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_lookup_hops_bucket", { kind: "find_value", le: "3" }), 1);
  assert.equal(
    valueOf(text, "cqkd_keygen_step_duration_seconds_count", { step: "09 collect Alice's spins and bases" }),
    1,
  );
  assert.equal(valueOf(text, "cqkd_keygen_step_duration_seconds_count", { step: "cascade" }), 1);
  assert.equal(valueOf(text, "cqkd_keygen_qber_ratio_bucket", { le: "0.11" }), 1);
  assert.equal(valueOf(text, "cqkd_keygen_qber_ratio_count"), 2);
  assert.equal(valueOf(text, "cqkd_keygen_sessions_total", { outcome: "aborted" }), 2);
  assert.equal(valueOf(text, "cqkd_keygen_sessions_total", { outcome: "completed" }), 1);
});

Deno.test("CqkdMetrics refuses values that would corrupt a series", async (t) => {
  const metrics = new CqkdMetrics();
  await t.step("an empty or overlong step name", () => {
    assert.throws(() => metrics.keygenStep("", 1), {
      name: "RangeError",
      message: 'Cannot record key-generation step "": expected 1-64 characters',
    });
    assert.throws(() => metrics.keygenStep("x".repeat(65), 1), RangeError);
  });
  await t.step("a QBER outside 0-1", () => {
    assert.throws(() => metrics.qber(1.2), {
      name: "RangeError",
      message: "Cannot record a QBER of 1.2: expected 0-1",
    });
    assert.throws(() => metrics.qber(-0.1), RangeError);
    assert.throws(() => metrics.qber(NaN), RangeError);
  });
  await t.step("a negative or non-finite duration", () => {
    assert.throws(() => metrics.bootstrapFinished(-1), {
      name: "RangeError",
      message: "Cannot record a bootstrap duration of -1: expected a finite number >= 0",
    });
    assert.throws(() => metrics.rpcCompleted("ping", "ok", NaN), RangeError);
    assert.throws(() => metrics.healthCheck("fast", "healthy", Infinity), RangeError);
    assert.throws(() => metrics.lookupFinished("find_node", -2), RangeError);
  });
  // Nothing of the refused calls was counted.
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_rpc_requests_total", { method: "ping", outcome: "ok" }), undefined);
  assert.equal(valueOf(text, "cqkd_health_checks_total", { level: "fast", status: "healthy" }), undefined);
});

Deno.test("CqkdMetrics.render() exposes every defined family, and only defined sample names", async () => {
  const metrics = new CqkdMetrics();
  metrics.observe({ nodes: () => [fakeNode("aa", "worker", 3)], stats: () => new TransportStats() });
  metrics.rpcCompleted("ping", "ok", 0.001);
  const text = await metrics.render();
  for (const { name, type } of METRIC_DEFINITIONS) assert.ok(text.includes(`# TYPE ${name} ${type}\n`), name);
  const defined = new Set(METRIC_DEFINITIONS.flatMap(sampleNames));
  for (const { name } of parseSamples(text)) assert.ok(defined.has(name), `${name} is not defined in METRICS`);
  assert.equal(metrics.contentType, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("CqkdMetrics instances keep separate registries", async () => {
  const first = new CqkdMetrics();
  const second = new CqkdMetrics();
  first.session("failed");
  assert.equal(valueOf(await first.render(), "cqkd_keygen_sessions_total", { outcome: "failed" }), 1);
  assert.equal(valueOf(await second.render(), "cqkd_keygen_sessions_total", { outcome: "failed" }), undefined);
});

Deno.test("CqkdMetrics.observe() reads the source at every render and forgets nodes that are gone", async () => {
  const nodes = [fakeNode("aa", "worker", 3), fakeNode("bb", "worker", 5), fakeNode("cc", "alice", 20)];
  const stats = new TransportStats();
  stats.requestsOut = 40;
  stats.requestsByPurpose.refresh = 6;
  stats.timeouts = 2;
  stats.dropped.msgpack = 3;
  const source: MetricsSource = { nodes: () => nodes, stats: () => stats };
  const metrics = new CqkdMetrics();
  metrics.observe(source);

  let text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_nodes", { role: "worker" }), 2);
  assert.equal(valueOf(text, "cqkd_nodes", { role: "alice" }), 1);
  assert.equal(valueOf(text, "cqkd_routing_table_contacts", { node: "bb" }), 5);
  assert.equal(valueOf(text, "cqkd_routing_table_buckets", { fill: "partial" }), 2);
  assert.equal(valueOf(text, "cqkd_routing_table_buckets", { fill: "full" }), 1);
  assert.equal(valueOf(text, "cqkd_kademlia_alpha", { role: "worker" }), 3);
  assert.equal(valueOf(text, "cqkd_kademlia_rpc_timeout_seconds", { role: "alice" }), 2);
  assert.equal(valueOf(text, "cqkd_kademlia_refresh_interval_seconds", { role: "worker" }), undefined);
  assert.equal(valueOf(text, "cqkd_requests_sent_total"), 40);
  assert.equal(valueOf(text, "cqkd_refresh_rpcs_total"), 6, "refresh traffic comes from the requests by purpose");
  assert.equal(valueOf(text, "cqkd_refresh_accounted_rpcs_total"), 40);
  assert.equal(valueOf(text, "cqkd_request_timeouts_total"), 2);
  assert.equal(valueOf(text, "cqkd_datagrams_dropped_total", { reason: "msgpack" }), 3);
  assert.equal(valueOf(text, "cqkd_datagrams_dropped_total", { reason: "short" }), 0);

  nodes.splice(2, 1);
  stats.requestsOut = 55;
  text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_nodes", { role: "alice" }), undefined);
  assert.equal(valueOf(text, "cqkd_routing_table_contacts", { node: "cc" }), undefined);
  assert.equal(valueOf(text, "cqkd_routing_table_buckets", { fill: "full" }), 0);
  assert.equal(valueOf(text, "cqkd_requests_sent_total"), 55);
});

Deno.test("CqkdMetrics.observe() of a NodeHost shows its nodes and transport counters over real UDP", async () => {
  await using host = new NodeHost({ k: 8 });
  const seed = host.start({ role: "super-bootstrap" });
  for (let i = 0; i < 5; i++) await host.start().bootstrap([seed.address]);
  const metrics = new CqkdMetrics();
  metrics.observe(host);
  const text = await metrics.render();
  assert.equal(valueOf(text, "cqkd_nodes", { role: "worker" }), 5);
  assert.equal(valueOf(text, "cqkd_nodes", { role: "super-bootstrap" }), 1);
  assert.equal(valueOf(text, "cqkd_kademlia_k", { role: "worker" }), 8);
  for (const node of host.nodes()) {
    assert.equal(valueOf(text, "cqkd_routing_table_contacts", { node: node.id.hex }), node.table.size);
  }
  const stats = host.stats();
  assert.ok(stats.requestsOut > 0);
  assert.equal(valueOf(text, "cqkd_requests_sent_total"), stats.requestsOut);
  assert.equal(valueOf(text, "cqkd_datagrams_received_total"), stats.datagramsIn);
  assert.equal(valueOf(text, "cqkd_responses_received_total"), stats.responsesIn);
});
