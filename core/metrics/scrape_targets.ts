import { formatPeer, type Peer } from "../net/mod.ts";

/**
 * Where `cqkd startup` writes the scrape targets of the local cluster, relative to the project root: the
 * `cqkd-local` job of `compose/monitoring/prometheus.yml` reads every `targets/*.json` beside it.
 */
export const LOCAL_TARGETS_FILE = "compose/monitoring/targets/local.json";

/** One process whose `/metrics` Prometheus should scrape. */
export interface ScrapeTarget {
  /** The process's name, exported as the `process` label (`host-0`, …). */
  process: string;
  /** Address of the process's admin HTTP API. */
  admin: Peer;
}

/**
 * The text of a Prometheus file_sd targets file listing `targets`, one group per process so that each carries its
 * own `process` label: `[{"targets": ["127.0.0.1:9101"], "labels": {"process": "host-0"}}, …]`.
 */
export function formatScrapeTargets(targets: readonly ScrapeTarget[]): string {
  const groups = targets.map(({ process, admin }) => ({ targets: [formatPeer(admin)], labels: { process } }));
  return JSON.stringify(groups, null, 2) + "\n";
}
