/** The key-exchange fragment: sessions with QBER, lengths and outcome, QBER over time, the latest timeline. */
import type { Child } from "hono/jsx";
import type { KeyPool, SessionReport } from "../source.ts";
import { LineChart, short, Timeline } from "./charts.tsx";
import { COLORS, Health, Table } from "./parts.tsx";

/** The QBER above which a session aborts (the `qber_threshold` default). */
const QBER_THRESHOLD = 0.11;

export function SessionResult({ session }: { session: SessionReport }): Child {
  return (
    <div class={`banner ${session.ok ? "ok" : "bad"}`} role="status" data-testid="keygen-result">
      <strong data-testid="keygen-outcome">{session.ok ? "keys agree" : "failed"}</strong>
      <span>
        session <code>{session.session}</code> · QBER <strong data-testid="keygen-qber">{session.qber}</strong> ·{" "}
        {session.final_bits} final bits{session.reason ? ` · ${session.reason}` : ""}
      </span>
    </div>
  );
}

export function KeysFragment(
  props: { sessions: readonly SessionReport[]; pool?: KeyPool; error?: string; selected?: string },
): Child {
  const { sessions } = props;
  const oldestFirst = [...sessions].reverse();
  const shown = sessions.find((s) => s.session === props.selected) ?? sessions[0];
  return (
    <div>
      <section aria-labelledby="pool-heading" class="placeholder">
        <h2 id="pool-heading">Key pool and key rate</h2>
        {props.pool === undefined
          ? (
            <p data-testid="key-pool">
              Key delivery is not available on this network yet: this panel shows the key pool's fill and the secret key
              rate once Alice's process serves <code>GET /keys/pool</code>.
            </p>
          )
          : (
            <p data-testid="key-pool">
              Pool: <strong>{short(props.pool.fill_bits)}</strong> bits
              {props.pool.capacity_bits ? ` of ${short(props.pool.capacity_bits)}` : ""}
              {props.pool.rate_bps === undefined ? "" : ` · key rate ${short(props.pool.rate_bps)} bit/s`}
            </p>
          )}
      </section>
      {props.error && <p class="banner warn" role="status">{props.error}</p>}
      <div class="charts">
        <LineChart
          title="QBER per session"
          unit=""
          xLabel={`last ${oldestFirst.length} sessions`}
          yMax={0.25}
          rule={{ value: QBER_THRESHOLD, label: "abort above 0.11" }}
          series={[{ name: "QBER", color: COLORS.purple, values: oldestFirst.map((s) => s.qber) }]}
        />
        {shown
          ? (
            <div>
              <h3>
                {shown === sessions[0] ? "Latest session" : "Session"} <code>{shown.session}</code>
              </h3>
              <Timeline steps={shown.steps} />
            </div>
          )
          : <p class="muted">No session yet: start one above.</p>}
      </div>
      <h2>Sessions</h2>
      <Table
        caption="Key-exchange sessions, newest first (no key material is ever shown); a session's id shows its timeline"
        headers={[
          "session",
          "outcome",
          "QBER",
          "requested bits",
          "sifted bits",
          "final bits",
          "noise",
          "eve",
          "workers",
          "ms",
          "fingerprint",
        ]}
        rows={sessions.map((s) => [
          <button
            key="session"
            type="button"
            class="session"
            data-session={s.session}
            aria-pressed={s === shown ? "true" : "false"}
            aria-label={`Show the timeline of session ${s.session}`}
          >
            {s.session}
          </button>,
          <Health
            key="outcome"
            state={s.ok ? "healthy" : "unhealthy"}
            text={s.ok ? "keys agree" : s.reason ?? "failed"}
          />,
          s.qber,
          s.requested_bits,
          s.sifted_bits,
          s.final_bits,
          s.noise,
          s.eve,
          s.workers,
          Math.round(s.total_ms),
          <code key="fingerprint">{s.alice.fingerprint ?? "-"}</code>,
        ])}
      />
    </div>
  );
}
