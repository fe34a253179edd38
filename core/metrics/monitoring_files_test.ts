import assert from "node:assert/strict";
import { parse } from "yaml";
import { METRIC_DEFINITIONS, METRICS, sampleNames } from "./definitions.ts";

const MONITORING = new URL("../../compose/monitoring/", import.meta.url);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

const rules: Rule[] = (parse(Deno.readTextFileSync(new URL("rules/cqkd_alerts.yml", MONITORING))) as {
  groups: Array<{ rules: Rule[] }>;
}).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(Deno.readTextFileSync(new URL("grafana/dashboards/cqkd.json", MONITORING)));

/** Every `expr` string in a JSON tree (panel targets, template queries). */
function exprsOf(tree: unknown): string[] {
  if (Array.isArray(tree)) return tree.flatMap(exprsOf);
  if (typeof tree !== "object" || tree === null) return [];
  return Object.entries(tree).flatMap(([key, value]) =>
    key === "expr" && typeof value === "string" ? [value] : exprsOf(value)
  );
}

/** cqkd metric names (`cqkd_…`) and recording-rule names (`cqkd:…`) used in a PromQL expression. */
function namesIn(expr: string): { metrics: string[]; recorded: string[] } {
  return {
    metrics: [...expr.matchAll(/(?<![\w:])cqkd_\w+/g)].map((m) => m[0]),
    recorded: [...expr.matchAll(/(?<![\w:])cqkd:[\w:]+/g)].map((m) => m[0]),
  };
}

const samples = new Set(METRIC_DEFINITIONS.flatMap(sampleNames));
const recordedRules = new Map(rules.filter((r) => r.record !== undefined).map((r) => [r.record!, r.expr]));
const dashboardExprs = exprsOf(dashboard.panels);

Deno.test("The alert rules use only metric names defined in core/metrics, and recording rules they define", () => {
  for (const { alert, record, expr } of rules) {
    const { metrics, recorded } = namesIn(expr);
    for (const name of metrics) assert.ok(samples.has(name), `${alert ?? record} uses undefined metric ${name}`);
    for (const name of recorded) assert.ok(recordedRules.has(name), `${alert ?? record} uses unknown rule ${name}`);
  }
});

Deno.test("The alert rules cover every documented threshold, a target-down alert and the key pool running dry", () => {
  const alerts = rules.filter((r) => r.alert !== undefined);
  // Duration thresholds are the `le` bound counted against (180, or 180.0 as Prometheus 3 writes it).
  const expected: Array<[string, RegExp]> = [
    ["CqkdBootstrapSlow", /_bucket\{le=~"180\(/],
    ["CqkdDiscoverySlow", /_bucket\{le=~"60\(/],
    ["CqkdHealthCheckSlow", /_bucket\{le=~"30\(/],
    ["CqkdRefreshOverheadHigh", /> 0\.20$/],
    ["CqkdPacketLossHigh", /> 0\.05$/],
    ["CqkdLatencyHigh", /> 0\.5$/],
    ["CqkdTargetDown", /^up\{.*\} == 0$/],
    ["CqkdKeyPoolEmpty", /\(cqkd_key_pool_bits\) == 0$/],
    ["CqkdKeyPoolLow", /cqkd_key_pool_bits\) > 0$/],
  ];
  assert.deepEqual(alerts.map((a) => a.alert).sort(), expected.map(([name]) => name).sort());
  for (const [name, threshold] of expected) {
    assert.match(alerts.find((a) => a.alert === name)!.expr.trim(), threshold, name);
  }
});

Deno.test("The histogram thresholds of the alerts are bucket bounds of their metrics", () => {
  assert.ok(METRICS.bootstrapDuration.buckets.includes(180));
  assert.ok(METRICS.discoveryDuration.buckets.includes(60));
  assert.ok(METRICS.healthCheckDuration.buckets.includes(30));
  assert.ok(METRICS.rpcDuration.buckets.includes(0.5));
});

Deno.test("The Grafana dashboard uses only defined metric names and recording rules", () => {
  assert.ok(dashboardExprs.length > 0);
  for (const expr of dashboardExprs) {
    const { metrics, recorded } = namesIn(expr);
    for (const name of metrics) assert.ok(samples.has(name), `dashboard uses undefined metric ${name}: ${expr}`);
    for (const name of recorded) assert.ok(recordedRules.has(name), `dashboard uses unknown rule ${name}: ${expr}`);
  }
});

Deno.test("The Grafana dashboard shows every metric family, directly or through a recording rule", () => {
  const shown = new Set(dashboardExprs.flatMap((expr) => {
    const { metrics, recorded } = namesIn(expr);
    return [...metrics, ...recorded.flatMap((name) => namesIn(recordedRules.get(name)!).metrics)];
  }));
  for (const definition of METRIC_DEFINITIONS) {
    assert.ok(sampleNames(definition).some((name) => shown.has(name)), `no panel shows ${definition.name}`);
  }
});

Deno.test("The Grafana dashboard queries the provisioned data source and has unique panel ids", () => {
  const provisioned = parse(
    Deno.readTextFileSync(new URL("grafana/provisioning/datasources/prometheus.yml", MONITORING)),
  ) as { datasources: Array<{ uid: string }> };
  const uid = provisioned.datasources[0]!.uid;
  const panels: Array<{ id: number; type: string; datasource?: { uid: string } }> = dashboard.panels;
  for (const panel of panels.filter((p) => p.type !== "row")) assert.equal(panel.datasource?.uid, uid);
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
});
