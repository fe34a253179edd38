import { stringify } from "yaml";

/** Options of {@linkcode prometheusConfig}. */
export interface PrometheusConfigOptions {
  /** The file_sd targets file of the cluster's processes (`formatScrapeTargets`), absolute. */
  targetsFile: string;
  /** Alert rule files, absolute. @default {[]} */
  ruleFiles?: readonly string[];
  /** Alertmanager address (`127.0.0.1:9093`), when one runs. */
  alertmanager?: string;
  /** How often each target is scraped and the rules evaluated. @default {15} */
  scrapeIntervalS?: number;
}

/**
 * The Prometheus configuration for a local cluster: one `cqkd-local` job reading the cluster's targets file (which
 * `cqkd startup` writes in the state directory; Prometheus watches it), the cqkd alert rules and the
 * Alertmanager. The same job as in `compose/monitoring/prometheus.yml`, with absolute paths.
 */
export function prometheusConfig(options: PrometheusConfigOptions): string {
  const interval = `${options.scrapeIntervalS ?? 15}s`;
  const config = {
    global: {
      scrape_interval: interval,
      scrape_timeout: `${Math.min(options.scrapeIntervalS ?? 15, 10)}s`,
      evaluation_interval: interval,
    },
    rule_files: [...options.ruleFiles ?? []],
    ...(options.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] } }
      : {}),
    scrape_configs: [{
      job_name: "cqkd-local",
      metrics_path: "/metrics",
      file_sd_configs: [{ files: [options.targetsFile], refresh_interval: interval }],
    }],
  };
  return stringify(config);
}
