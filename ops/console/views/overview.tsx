/** The overview fragment: is the network healthy, where are the problems, how busy is it. */
import type { Child } from "hono/jsx";
import type { Overview } from "../source.ts";
import { HistoryChart, short } from "./charts.tsx";
import { COLORS, Health, healthOf, Table } from "./parts.tsx";

/** The tiers in the order of the picture: super → regional → local → workers, then Alice and Bob. */
const TIER_LABELS: Record<string, string> = {
  super: "Super bootstrap",
  regional: "Regional bootstrap",
  local: "Local bootstrap",
  worker: "Workers",
  "alice-bob": "Alice & Bob",
};

/** One tier of the picture: its name, ready/expected, and its health in words and colour. */
function TierBox({ tier, arrow }: { tier: Overview["tiers"][number]; arrow: boolean }): Child {
  const health = healthOf(tier);
  return (
    <li class={`tier ${health}`} data-tier={tier.tier}>
      <span class="tier-name">{TIER_LABELS[tier.tier] ?? tier.tier}</span>
      <span>
        <span class="tier-count">
          <span data-testid={`tier-${tier.tier}-ready`}>{tier.ready}</span>/{tier.expected}
        </span>{" "}
        <span class="tier-label">ready{tier.failed > 0 ? `, ${tier.failed} failed` : ""}</span>
      </span>
      <Health state={health} testId={`tier-${tier.tier}-health`} />
      {arrow && <span class="arrow" aria-hidden="true">→</span>}
    </li>
  );
}

export function OverviewFragment({ data }: { data: Overview }): Child {
  if (!data.running) {
    return (
      <div class="banner bad" role="status">
        No cluster is running: start one with <code>cqkd startup</code>.
      </div>
    );
  }
  const chain = data.tiers.filter((t) => t.tier !== "alice-bob");
  const sides = data.tiers.filter((t) => t.tier === "alice-bob");
  const history = data.history;
  return (
    <div>
      <div class={`banner ${data.healthy ? "ok" : "bad"}`} role="status" data-testid="network-health">
        <strong>{data.title}: {data.healthy ? "healthy" : "unhealthy"}</strong>
        <span>
          {data.readyCount} of {data.nodeCount} nodes ready · estimated network size{" "}
          <strong>{data.estimatedNetworkSize ?? "?"}</strong> · {data.alerts.length} alert(s) firing
        </span>
      </div>
      <h2 id="tiers-heading">Tiers</h2>
      <div class="tier-picture">
        <ol class="tiers" aria-labelledby="tiers-heading">
          {chain.map((t, i) => <TierBox key={t.tier} tier={t} arrow={i < chain.length - 1} />)}
        </ol>
        {sides.length > 0 && (
          <ul class="tiers sides" aria-label="Key exchange parties">
            {sides.map((t) => <TierBox key={t.tier} tier={t} arrow={false} />)}
          </ul>
        )}
      </div>
      <div class="columns">
        <section aria-labelledby="alerts-heading">
          <h2 id="alerts-heading">Alerts firing</h2>
          {data.alerts.length === 0 ? <p class="muted">None.</p> : (
            <ul class="alerts">
              {data.alerts.map((a) => (
                <li class={a.severity === "critical" ? "bad" : "warn"}>
                  <strong>{a.severity}</strong> {a.name}: {a.summary}
                </li>
              ))}
            </ul>
          )}
          <h2>Host processes</h2>
          <Table
            caption="Host processes"
            headers={["host", "pid", "alive", "nodes ready", "RSS MB"]}
            rows={data.hosts.map((h) => [
              h.name,
              h.pid,
              <Health key="alive" state={h.alive ? "healthy" : "unhealthy"} text={h.alive ? "alive" : "down"} />,
              `${h.ready}/${h.nodes}`,
              h.rssMb,
            ])}
          />
        </section>
        <section aria-labelledby="params-heading">
          <h2 id="params-heading">Parameters in force</h2>
          <Table
            caption="Kademlia parameters in force, by number of nodes"
            headers={["alpha", "k", "timeout s", "refresh s", "nodes"]}
            rows={data.parameters.map((p) => [p.alpha, p.k, p.timeoutMs / 1000, p.refreshIntervalS, p.nodes])}
          />
          <h2>Routing-table contacts</h2>
          <p>
            {Object.entries(data.contactHealth).map(([state, n]) => (
              <span class="pill">
                {state} <strong>{short(n)}</strong>
              </span>
            ))}
          </p>
        </section>
      </div>
      <h2>Traffic</h2>
      <div class="charts">
        <HistoryChart
          title="RPC latency percentiles"
          unit=" ms"
          samples={history}
          lines={[
            ["p50", COLORS.blue, (p) => p.p50Ms],
            ["p90", COLORS.purple, (p) => p.p90Ms],
            ["p99", COLORS.red, (p) => p.p99Ms],
          ]}
        />
        <HistoryChart
          title="RPC rate"
          unit="/s"
          samples={history}
          lines={[["sent", COLORS.blue, (p) => p.rpcPerS], ["no answer", COLORS.red, (p) => p.timeoutsPerS]]}
        />
        <HistoryChart
          title="Refresh overhead (share of RPCs)"
          unit=""
          yMax={1}
          rule={{ value: 0.2, label: "alert 0.2" }}
          samples={history}
          lines={[["refresh", COLORS.green, (p) => p.refreshOverhead]]}
        />
      </div>
      <p class="muted small">Gathered in {data.gatherMs} ms.</p>
    </div>
  );
}
