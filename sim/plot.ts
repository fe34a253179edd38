/**
 * `deno run -A sim/plot.ts docs/simulation_scale.json docs/simulation_scale.svg docs/simulation_cost.svg`: the lookup
 * hops of mass-join runs against the number of nodes (log scale), with the expectation log2(N) / log2(k) for k = 20,
 * and their lookup latency and memory per simulated node, as two SVG charts (Observable Plot, rendered on linkedom's
 * server-side DOM).
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** One measured mass-join run. */
export interface ScaleRow {
  nodes: number;
  hops_p50: number;
  hops_p99: number;
  lookup_ms_p50?: number;
  lookup_ms_p99?: number;
  /** Live heap the run added per simulated node, KB (after a full collection). */
  kb_per_node?: number;
}

const K = 20;

/** Expected lookup depth: each hop resolves about log2(k) bits of the log2(N) that separate a node from a target. */
export function expectedHops(nodes: number): number {
  return Math.log2(nodes) / Math.log2(K);
}

interface Point {
  nodes: number;
  y: number;
  series: string;
}

/** One line chart against N (log scale), each series labelled at its right end; SVG text. */
function lineChart(points: Point[], options: { y: string; yMax: number; colors: Record<string, string> }): string {
  const series = Object.keys(options.colors);
  const last = (name: string) => points.filter((p) => p.series === name).at(-1);
  // Deno has no DOM types: linkedom's window is typed as the global one, which lacks `document`.
  const { document } = parseHTML("<!doctype html><html><body></body></html>") as unknown as {
    document: Plot.PlotOptions["document"];
  };
  const chart = Plot.plot({
    document,
    width: 640,
    height: 360,
    marginRight: 150,
    style: { background: "white", fontSize: "12px" },
    x: { type: "log", label: "nodes (N)", grid: true },
    y: { label: options.y, domain: [0, options.yMax], grid: true },
    color: { domain: series, range: Object.values(options.colors) },
    marks: [
      Plot.line(points, { x: "nodes", y: "y", stroke: "series", strokeWidth: 2 }),
      Plot.dot(points.filter((p) => !p.series.startsWith("log2")), { x: "nodes", y: "y", fill: "series" }),
      Plot.text(series.map(last).filter((p) => p !== undefined), {
        x: "nodes",
        y: "y",
        text: "series",
        fill: "series",
        dx: 8,
        textAnchor: "start",
      }),
    ],
  }) as unknown as { outerHTML: string };
  return chart.outerHTML.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"') + "\n";
}

function byNodes(rows: readonly ScaleRow[]): ScaleRow[] {
  return [...rows].sort((a, b) => a.nodes - b.nodes);
}

/** The hops chart, as SVG text. */
export function scaleChart(rows: readonly ScaleRow[]): string {
  const sorted = byNodes(rows);
  const span = [Math.min(1000, sorted[0]?.nodes ?? 1000), Math.max(100_000, sorted.at(-1)?.nodes ?? 100_000)];
  const expected = Array.from({ length: 21 }, (_, i) => span[0]! * (span[1]! / span[0]!) ** (i / 20));
  const model = `log2(N) / log2(${K})`;
  const points = [
    ...sorted.map((r) => ({ nodes: r.nodes, y: r.hops_p50, series: "hops p50" })),
    ...sorted.map((r) => ({ nodes: r.nodes, y: r.hops_p99, series: "hops p99" })),
    ...expected.map((n) => ({ nodes: n, y: expectedHops(n), series: model })),
  ];
  return lineChart(points, {
    y: "lookup hops",
    yMax: Math.max(6, ...sorted.map((r) => r.hops_p99 + 1)),
    colors: { "hops p50": "#1f77b4", "hops p99": "#d62728", [model]: "#555" },
  });
}

/** Lookup latency (p50, p99, seconds) and the memory per simulated node (KB / 10, to share the axis), as SVG. */
export function costChart(rows: readonly ScaleRow[]): string {
  const sorted = byNodes(rows);
  const series = (name: string, pick: (r: ScaleRow) => number | undefined) =>
    sorted.flatMap((r) => pick(r) === undefined ? [] : [{ nodes: r.nodes, y: pick(r)!, series: name }]);
  const points = [
    ...series("lookup s p50", (r) => r.lookup_ms_p50 && r.lookup_ms_p50 / 1000),
    ...series("lookup s p99", (r) => r.lookup_ms_p99 && r.lookup_ms_p99 / 1000),
    ...series("KB per node / 10", (r) => r.kb_per_node && r.kb_per_node / 10),
  ];
  return lineChart(points, {
    y: "seconds; KB per node / 10",
    yMax: Math.max(5, ...points.map((p) => Math.ceil(p.y + 0.5))),
    colors: { "lookup s p50": "#1f77b4", "lookup s p99": "#d62728", "KB per node / 10": "#2ca02c" },
  });
}

if (import.meta.main) {
  const [
    input = "docs/simulation_scale.json",
    hopsOutput = "docs/simulation_scale.svg",
    costOutput = "docs/simulation_cost.svg",
  ] = Deno.args;
  const rows = JSON.parse(await Deno.readTextFile(input)) as ScaleRow[];
  await Deno.writeTextFile(hopsOutput, scaleChart(rows));
  await Deno.writeTextFile(costOutput, costChart(rows));
  // deno fmt formats SVG too: write them as `deno fmt --check` wants them.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", hopsOutput, costOutput] }).output();
  console.log(`wrote ${hopsOutput} and ${costOutput}`);
}
