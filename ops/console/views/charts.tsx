/**
 * Charts as inline SVG, drawn on the server: no script, no library, readable at a glance (a title, labelled axes,
 * the latest value of each series in its legend), and described for screen readers by `aria-label`.
 */
import type { Child } from "hono/jsx";

/** One line of a {@linkcode LineChart}. */
export interface Series {
  name: string;
  /** A CSS colour with enough contrast on white. */
  color: string;
  values: readonly number[];
}

const WIDTH = 560;
const HEIGHT = 170;
const PAD = { left: 48, right: 12, top: 10, bottom: 24 };

/** A line of a {@linkcode HistoryChart}: its name, colour, and the value it takes from each sample. */
export type SampleLine<P> = readonly [name: string, color: string, value: (sample: P) => number];

/** A {@linkcode LineChart} of samples over time (oldest left), one line per {@linkcode SampleLine}. */
export function HistoryChart<P>(props: {
  title: string;
  unit: string;
  samples: readonly P[];
  lines: ReadonlyArray<SampleLine<P>>;
  yMax?: number;
  rule?: { value: number; label: string };
}): Child {
  const { samples, lines, ...chart } = props;
  return (
    <LineChart
      {...chart}
      xLabel={`last ${samples.length} samples`}
      series={lines.map(([name, color, value]) => ({ name, color, values: samples.map(value) }))}
    />
  );
}

/** A readable number: at most 3 significant digits, with k and M. */
export function short(value: number): string {
  if (!Number.isFinite(value)) return "-";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(value / 1e3).toPrecision(3)}k`;
  if (abs === 0) return "0";
  return String(+value.toPrecision(3));
}

/** A "nice" upper bound of an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** Lines over time (oldest left), e.g. latency percentiles, RPC rates, QBER per session. */
export function LineChart(props: {
  title: string;
  unit: string;
  series: readonly Series[];
  /** What the x axis counts ("last 3 min", "sessions"). */
  xLabel: string;
  /** Fixed top of the y axis (e.g. 1 for a share). @default a nice bound over the values */
  yMax?: number;
  /** A horizontal line, e.g. a threshold. */
  rule?: { value: number; label: string };
}): Child {
  const points = Math.max(0, ...props.series.map((s) => s.values.length));
  const top = props.yMax ?? niceMax(Math.max(props.rule?.value ?? 0, ...props.series.flatMap((s) => s.values)));
  const innerW = WIDTH - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points <= 1 ? innerW : (i / (points - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (Math.min(v, top) / top) * innerH;
  const latest = props.series.map((s) => `${s.name} ${short(s.values.at(-1) ?? 0)}${props.unit}`).join(", ");
  const label = points === 0 ? `${props.title}: no data yet` : `${props.title}, ${props.xLabel}; latest: ${latest}`;
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <span class="legend">
          {props.series.map((s) => (
            <span class="legend-item">
              <span class="swatch" style={`background:${s.color}`}></span>
              {s.name} <strong>{short(s.values.at(-1) ?? 0)}</strong>
              {props.unit}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
        {[0, 0.5, 1].map((f) => (
          <g>
            <line class="grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text class="axis" x={PAD.left - 6} y={y(top * f) + 4} text-anchor="end">{short(top * f)}</text>
          </g>
        ))}
        {props.rule && (
          <g>
            <line class="rule" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(props.rule.value)} y2={y(props.rule.value)} />
            <text class="axis" x={WIDTH - PAD.right} y={y(props.rule.value) - 4} text-anchor="end">
              {props.rule.label}
            </text>
          </g>
        )}
        <text class="axis" x={PAD.left} y={HEIGHT - 6}>{props.xLabel}</text>
        <text class="axis" x={WIDTH - PAD.right} y={HEIGHT - 6} text-anchor="end">now</text>
        {points === 0 && <text class="axis" x={WIDTH / 2} y={HEIGHT / 2} text-anchor="middle">no data yet</text>}
        {props.series.map((s) =>
          s.values.length === 1
            ? <circle key={s.name} cx={x(0)} cy={y(s.values[0]!)} r="3" fill={s.color} />
            : (
              <polyline
                key={s.name}
                fill="none"
                stroke={s.color}
                stroke-width="2"
                points={s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}
              />
            )
        )}
      </svg>
    </figure>
  );
}

/** One bar of a {@linkcode BarChart}. */
export interface Bar {
  label: string;
  value: number;
  /** Shown after the value, e.g. "+2 waiting". */
  note?: string;
}

/** Horizontal bars against a common full scale, e.g. a routing table's buckets against k. */
export function BarChart(props: { title: string; bars: readonly Bar[]; full: number; unit: string }): Child {
  const rowH = 18;
  const height = Math.max(1, props.bars.length) * rowH + 8;
  const labelW = 120;
  const barW = WIDTH - labelW - 110;
  const summary = props.bars.map((b) => `${b.label}: ${b.value}`).join("; ");
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{props.title}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={`${props.title}. ${summary}`}>
        {props.bars.map((b, i) => (
          <g>
            <text class="axis" x={labelW - 6} y={i * rowH + 16} text-anchor="end">{b.label}</text>
            <rect class="bar-track" x={labelW} y={i * rowH + 5} width={barW} height={rowH - 6} />
            <rect
              class="bar"
              x={labelW}
              y={i * rowH + 5}
              width={Math.max(1, (Math.min(b.value, props.full) / props.full) * barW)}
              height={rowH - 6}
            />
            <text class="axis" x={labelW + barW + 6} y={i * rowH + 16}>
              {b.value} {props.unit}
              {b.note ? ` ${b.note}` : ""}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** A session's steps one after the other on a time axis: where the time went. */
export function Timeline(props: { steps: Record<string, number> }): Child {
  const entries = Object.entries(props.steps).filter(([, ms]) => ms > 0);
  const total = entries.reduce((sum, [, ms]) => sum + ms, 0) || 1;
  const rowH = 18;
  const labelW = 230;
  const barW = WIDTH - labelW - 70;
  let start = 0;
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">Per-step timeline ({short(total)} ms of steps)</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${entries.length * rowH + 8}`}
        role="img"
        aria-label={`Steps: ${entries.map(([step, ms]) => `${step} ${short(ms)} ms`).join(", ")}`}
      >
        {entries.map(([step, ms], i) => {
          const x = labelW + (start / total) * barW;
          start += ms;
          return (
            <g>
              <text class="axis" x={labelW - 6} y={i * rowH + 16} text-anchor="end">{step}</text>
              <rect class="bar" x={x} y={i * rowH + 5} width={Math.max(2, (ms / total) * barW)} height={rowH - 6} />
              <text class="axis" x={labelW + barW + 6} y={i * rowH + 16}>{short(ms)} ms</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
