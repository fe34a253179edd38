/** `cqkd keygen`: one key exchange between Alice and Bob on the running local cluster. */
import type { Settings } from "../core/config/mod.ts";
import { RunningCluster } from "./cluster/cluster.ts";
import type { KeygenReport } from "./cluster/keygen_route.ts";
import { ALICE_BOB_HOST } from "./cluster/plan.ts";
import { StateDir } from "./cluster/state.ts";
import { CommandError } from "./exit_codes.ts";
import { formatTable } from "./table.ts";

export type { KeygenReport };

/** Options of {@linkcode runKeygen}. */
export interface KeygenOptions {
  bits: number;
  /** Bit-flip probability of the photon link. @default {0} */
  noise?: number;
  /** Share of photons an intercept–resend Eve measures. @default {0} */
  eve?: number;
  /** Take the key out of both key stores and include it (hex) in the report. @default {false} */
  showKey?: boolean;
  /** Colluding workers privacy amplification protects against. @default the cluster's `collusion` */
  collusion?: number;
  /** Longest wait for the session. @default {120000} */
  timeoutMs?: number;
}

/**
 * Asks the host process of Alice and Bob for one key exchange.
 *
 * @throws {CommandError} when no cluster runs, or Alice and Bob's host process does not
 */
export async function runKeygen(settings: Settings, options: KeygenOptions): Promise<KeygenReport> {
  const dir = new StateDir(settings.state_dir);
  const cluster = await RunningCluster.open(dir);
  const client = cluster?.alive().find((c) => c.record.name === ALICE_BOB_HOST);
  if (cluster === undefined || client === undefined) {
    throw new CommandError(
      `Cannot generate a key: no local cluster with Alice and Bob is running (state: ${dir.statePath}); ` +
        "start one with `cqkd startup`",
    );
  }
  const { bits, noise = 0, eve = 0, showKey = false, timeoutMs = 120_000, collusion } = options;
  const json = { bits, noise, eve, showKey, ...(collusion === undefined ? {} : { collusion }) };
  return await client.call((api, o) => api.keygen.$post({ json }, o), timeoutMs);
}

/** The human form of a report. */
export function formatKeygenReport(report: KeygenReport): string {
  const side = (name: string, key: KeygenReport["alice"]) =>
    `${name}: ${key.bits} bits, fingerprint ${key.fingerprint ?? "-"}${key.key ? `\n  key ${key.key}` : ""}`;
  const agreement = report.keys_equal === true ? "keys agree" : "Bob confirmed the key";
  return [
    `Session ${report.session}: ${report.ok ? agreement : `FAILED: ${report.reason}`}`,
    ...(report.key_id ? [`Key id ${report.key_id}`] : []),
    side("Alice", report.alice),
    side("Bob  ", report.bob),
    `QBER ${report.qber.toFixed(4)} (true ${
      report.true_qber?.toFixed(4) ?? "unknown"
    }), sifted ${report.sifted_bits} bits, ` +
    `final ${report.final_bits} bits, ${report.raw_positions} positions in ${report.rounds} round(s), ` +
    `${report.workers} workers, ${report.total_ms.toFixed(0)} ms`,
    `Workers: the ${report.collusion} most exposed saw ${(report.max_worker_share * 100).toFixed(1)} % of the key; ` +
    `${report.worker_leakage} bits removed for it, ${report.leakage} for Cascade's parities`,
    "",
    formatTable(["step", "ms"], Object.entries(report.steps).map(([step, ms]) => [step, ms.toFixed(1)])),
  ].join("\n");
}
