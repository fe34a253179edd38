/**
 * The alerts the console shows as firing: the conditions of the Prometheus rules in
 * `compose/monitoring/rules/cqkd_alerts.yml` (same names, same thresholds), judged on the console's own latest
 * figures, so that they show without Prometheus. Unlike the rules they have no `for:` window: they say what is
 * true now.
 */
import type { TrafficPoint } from "./history.ts";

/** An alert that fires now. */
export interface Alert {
  name: string;
  severity: "critical" | "warning";
  summary: string;
}

/** What the alerts are judged on. */
export interface AlertInput {
  hosts: ReadonlyArray<{ name: string; alive: boolean }>;
  tiers: ReadonlyArray<{ tier: string; expected: number; ready: number; failed: number }>;
  /** The latest traffic point, when there is one. */
  traffic?: TrafficPoint;
}

/** The rules' thresholds. */
export const ALERT_THRESHOLDS = { refreshOverhead: 0.2, packetLoss: 0.05, latencyMs: 500 } as const;

/** The alerts that fire for `input`, critical ones first. */
export function firingAlerts(input: AlertInput): Alert[] {
  const alerts: Alert[] = [];
  for (const host of input.hosts) {
    if (!host.alive) {
      alerts.push({ name: "CqkdTargetDown", severity: "critical", summary: `host process ${host.name} is down` });
    }
  }
  for (const tier of input.tiers) {
    if (tier.ready < tier.expected) {
      alerts.push({
        name: "CqkdNodesNotReady",
        severity: tier.ready === 0 && tier.expected > 0 ? "critical" : "warning",
        summary: `${tier.tier} tier: ${tier.ready} of ${tier.expected} nodes ready` +
          (tier.failed > 0 ? `, ${tier.failed} failed` : ""),
      });
    }
  }
  const traffic = input.traffic;
  if (traffic !== undefined) {
    const loss = traffic.rpcPerS === 0 ? 0 : traffic.timeoutsPerS / traffic.rpcPerS;
    if (loss > ALERT_THRESHOLDS.packetLoss) {
      alerts.push({
        name: "CqkdPacketLossHigh",
        severity: "warning",
        summary: `${(loss * 100).toFixed(1)} % of RPCs got no answer (threshold 5 %)`,
      });
    }
    if (traffic.p90Ms > ALERT_THRESHOLDS.latencyMs) {
      alerts.push({
        name: "CqkdLatencyHigh",
        severity: "warning",
        summary: `RPC latency p90 ${traffic.p90Ms} ms (threshold 500 ms)`,
      });
    }
    if (traffic.refreshOverhead > ALERT_THRESHOLDS.refreshOverhead) {
      alerts.push({
        name: "CqkdRefreshOverheadHigh",
        severity: "warning",
        summary: `refresh sends ${(traffic.refreshOverhead * 100).toFixed(0)} % of the RPCs (threshold 20 %)`,
      });
    }
  }
  return alerts.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "critical" ? -1 : 1));
}
