/** Small pieces the console's pages share: health words with colours, tables. */
import type { Child } from "hono/jsx";

/** Colours with at least 4.5:1 contrast on white. */
export const COLORS = {
  blue: "#0a58ca",
  purple: "#6f42c1",
  red: "#b42318",
  green: "#17692f",
  amber: "#8a5300",
} as const;

export type HealthState = "healthy" | "degraded" | "unhealthy";

/** A tier's health: all ready, some missing, none. */
export function healthOf(tier: { expected: number; ready: number }): HealthState {
  if (tier.ready >= tier.expected) return "healthy";
  return tier.ready === 0 ? "unhealthy" : "degraded";
}

/** A health word with its colour and a symbol, so that colour is not the only cue. */
export function Health(props: { state: HealthState; text?: string; testId?: string }): Child {
  const symbol = props.state === "healthy" ? "●" : props.state === "degraded" ? "▲" : "✖";
  return (
    <span class={`health ${props.state}`} data-testid={props.testId}>
      <span aria-hidden="true">{symbol}</span> {props.text ?? props.state}
    </span>
  );
}

/** A plain table with a caption for screen readers. */
export function Table(props: { caption: string; headers: string[]; rows: Array<Array<Child>> }): Child {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>{props.headers.map((h) => <th key={h} scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>
          {props.rows.length === 0
            ? (
              <tr>
                <td colspan={props.headers.length} class="muted">none</td>
              </tr>
            )
            : props.rows.map((row, i) => <tr key={i}>{row.map((cell, j) => <td key={j}>{cell}</td>)}</tr>)}
        </tbody>
      </table>
    </div>
  );
}
