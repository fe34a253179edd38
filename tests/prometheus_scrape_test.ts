/**
 * A real Prometheus (the Debian package, as .ci/run installs it) scrapes a local cluster of 50 workers: five host
 * processes' worth of nodes, each with its own admin API and metrics on 127.0.0.1, listed in a targets file as
 * `cqkd startup` writes it. Its query API must show every target up and the RPC counters above zero.
 */
import assert from "node:assert/strict";
import { NodeHost } from "../core/host.ts";
import { CqkdMetrics, formatScrapeTargets, metricsHooks, type ScrapeTarget } from "../core/metrics/mod.ts";
import { adminApp } from "../ops/admin/mod.ts";
import { prometheusConfig, queryPrometheus, spawnTool } from "../ops/monitoring/mod.ts";
import { waitFor } from "./_wait_for.ts";

const HOSTS = 5;
const WORKERS_PER_HOST = 10;
const RULES = new URL("../compose/monitoring/rules/cqkd_alerts.yml", import.meta.url).pathname;

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

Deno.test("A real Prometheus scrapes a local cluster of 50 workers: every target up, RPC counters above zero", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cqkd_prometheus_" });
  const hosts: NodeHost[] = [];
  const servers: Deno.HttpServer[] = [];
  let prometheus: Deno.ChildProcess | undefined;
  try {
    const seed = new NodeHost();
    hosts.push(seed);
    const bootstrap = seed.start({ role: "super-bootstrap" });
    const targets: ScrapeTarget[] = [];
    for (let h = 0; h < HOSTS; h++) {
      const metrics = new CqkdMetrics();
      const host = new NodeHost({ ...metricsHooks(metrics), rpcTimeoutMs: 1000 });
      hosts.push(host);
      metrics.observe(host);
      for (let w = 0; w < WORKERS_PER_HOST; w++) await host.start().bootstrap([bootstrap.address]);
      const entries = host.nodes().map((node, w) => ({ name: `worker-${h}-${w}`, node }));
      const app = adminApp({ name: `host-${h}`, nodes: { list: () => entries }, metrics });
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
      servers.push(server);
      targets.push({ process: `host-${h}`, admin: { host: "127.0.0.1", port: server.addr.port } });
    }
    const targetsFile = `${dir}/targets.json`;
    await Deno.writeTextFile(targetsFile, formatScrapeTargets(targets));
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      prometheusConfig({ targetsFile, ruleFiles: [RULES], scrapeIntervalS: 1 }),
    );
    const port = freeTcpPort();
    prometheus = spawnTool("prometheus", [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { logFile: `${dir}/prometheus.log` });
    const base = `http://127.0.0.1:${port}`;

    const up = await waitFor(async () => {
      const samples = await queryPrometheus(base, 'up{job="cqkd-local"}');
      return samples.length === HOSTS && samples.every((s) => s.value === 1) ? samples : undefined;
    }, { timeoutMs: 30_000, everyMs: 250, what: "Prometheus reports every target up" });
    assert.deepEqual(up.map((s) => s.metric.process).sort(), targets.map((t) => t.process).sort());

    const rpcs = await waitFor(async () => {
      const [total] = await queryPrometheus(base, 'sum(cqkd_rpc_requests_total{job="cqkd-local",outcome="ok"})');
      return total !== undefined && total.value > 0 ? total.value : undefined;
    }, { timeoutMs: 30_000, everyMs: 250, what: "Prometheus has the RPC counters" });
    assert.ok(rpcs >= HOSTS * WORKERS_PER_HOST, `every worker pinged its bootstrap at least once (got ${rpcs})`);
    const [workers] = await queryPrometheus(base, 'sum(cqkd_nodes{role="worker"})');
    assert.equal(workers?.value, HOSTS * WORKERS_PER_HOST);
  } finally {
    if (prometheus !== undefined) {
      prometheus.kill("SIGTERM");
      await prometheus.status;
    }
    await Promise.all(servers.map((server) => server.shutdown()));
    await Promise.all(hosts.map((host) => host.stopAll()));
    await Deno.remove(dir, { recursive: true });
  }
});
