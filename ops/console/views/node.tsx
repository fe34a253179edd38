/** A node's page: its routing-table buckets as a chart, its health history, its parameters and traffic. */
import type { Child } from "hono/jsx";
import type { NodeDetail } from "../source.ts";
import { BarChart, HistoryChart } from "./charts.tsx";
import { COLORS, Health, Table } from "./parts.tsx";

export function NodeFragment({ detail }: { detail: NodeDetail }): Child {
  const { row, diagnostics: d, history } = detail;
  return (
    <div>
      <h2>
        {row.name} <Health state={row.state === "ready" ? "healthy" : "unhealthy"} text={row.state} />
      </h2>
      <dl class="facts">
        <dt>role</dt>
        <dd>{row.role}</dd>
        <dt>id</dt>
        <dd>
          <code>{row.id ?? "-"}</code>
        </dd>
        <dt>address</dt>
        <dd>
          <code>{row.address ?? "-"}</code>
        </dd>
        {row.host && <dt>host process</dt>}
        {row.host && <dd>{row.host}</dd>}
        {row.region && <dt>region</dt>}
        {row.region && <dd>{row.region}</dd>}
        {row.attachedTo && <dt>admitted by</dt>}
        {row.attachedTo && <dd>{row.attachedTo}</dd>}
        {row.capacity !== undefined && <dt>joiners admitted</dt>}
        {row.capacity !== undefined && <dd>{row.load ?? 0} of {row.capacity}</dd>}
        {row.readyMs !== undefined && <dt>ready after</dt>}
        {row.readyMs !== undefined && <dd>{(row.readyMs / 1000).toFixed(1)} s</dd>}
        {row.error && <dt>error</dt>}
        {row.error && <dd class="bad">{row.error}</dd>}
        <dt>estimated network size</dt>
        <dd>{d?.networkSize ?? row.networkSize ?? "-"}</dd>
      </dl>
      {d === undefined ? <p class="muted">The node is not running: no routing table to show.</p> : (
        <div class="charts">
          <BarChart
            title={`Routing table: ${d.table.contacts} contacts in ${d.table.buckets.length} buckets by id prefix (k = ${d.table.k})`}
            full={d.table.k}
            unit="contacts"
            bars={d.table.buckets.map((b) => ({
              label: b.depth === 0 ? "whole space" : `${b.prefix}… (${b.depth} bits)`,
              value: b.contacts,
              ...(b.replacements > 0 ? { note: `+${b.replacements} waiting` } : {}),
            }))}
          />
          <HistoryChart
            title="Health of its contacts over time"
            unit=""
            samples={history}
            lines={[
              ["healthy", COLORS.green, (p) => p.healthy],
              ["degraded", COLORS.amber, (p) => p.degraded],
              ["unhealthy", COLORS.red, (p) => p.unhealthy],
              ["unchecked", COLORS.blue, (p) => p.unchecked],
            ]}
          />
        </div>
      )}
      {d && (
        <div class="columns">
          <section>
            <h3>Parameters in force</h3>
            <Table
              caption="Parameters in force"
              headers={["parameter", "value"]}
              rows={[
                ["alpha", d.parameters.alpha],
                ["k", d.parameters.k],
                ["RPC timeout ms", d.parameters.timeoutMs],
                ["refresh interval s", d.parameters.refreshIntervalS],
                ["adaptive", d.parameters.adaptive ? "yes" : "no"],
                ["pinned by tune", d.parameters.pinned.join(", ") || "-"],
                ["refresh strategy", d.refresh?.strategy ?? "-"],
              ]}
            />
          </section>
          <section>
            <h3>Traffic and health checks</h3>
            <Table
              caption="Traffic and health checks"
              headers={["figure", "value"]}
              rows={[
                ["RPCs sent", d.transport.requestsOut],
                ["no answer", d.transport.timeouts],
                [
                  "latency p50 / p90 / p99 ms",
                  [d.transport.latency.p50Ms, d.transport.latency.p90Ms, d.transport.latency.p99Ms].map((ms) =>
                    ms.toFixed(1)
                  ).join(" / "),
                ],
                ["refresh overhead", d.refresh ? `${(d.refresh.overhead * 100).toFixed(1)} %` : "-"],
                ["stale contacts", d.table.stale],
                [
                  "contacts healthy / degraded / unhealthy",
                  `${d.health.counts.healthy} / ${d.health.counts.degraded} / ${d.health.counts.unhealthy}`,
                ],
                ...Object.entries(d.health.levels ?? {}).map(([level, l]) => [
                  `${level} checks (every ${l.intervalS} s)`,
                  `${l.checks} done, ${l.failures} failed, mean ${l.meanMs} ms`,
                ]),
              ]}
            />
          </section>
        </div>
      )}
    </div>
  );
}
