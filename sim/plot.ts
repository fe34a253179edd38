/**
 * `deno run -A sim/plot.ts docs/simulation_scale.json docs/simulation_scale.svg`: the lookup hops of mass-join runs
 * against the number of nodes (log scale), with the expectation log2(N) / log2(k) for k = 20, as an SVG chart
 * (Observable Plot, rendered on linkedom's server-side DOM).
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** One measured mass-join run. */
export interface ScaleRow {
  nodes: number;
  hops_p50: number;
  hops_p99: number;
}

const K = 20;

/** Expected lookup depth: each hop resolves about log2(k) bits of the log2(N) that separate a node from a target. */
export function expectedHops(nodes: number): number {
  return Math.log2(nodes) / Math.log2(K);
}

/** The chart, as SVG text. */
export function scaleChart(rows: readonly ScaleRow[]): string {
  const sorted = [...rows].sort((a, b) => a.nodes - b.nodes);
  const span = [Math.min(1000, sorted[0]?.nodes ?? 1000), Math.max(100_000, sorted.at(-1)?.nodes ?? 100_000)];
  const expected = Array.from({ length: 21 }, (_, i) => span[0]! * (span[1]! / span[0]!) ** (i / 20));
  const points = [
    ...sorted.map((r) => ({ nodes: r.nodes, hops: r.hops_p50, series: "hops p50" })),
    ...sorted.map((r) => ({ nodes: r.nodes, hops: r.hops_p99, series: "hops p99" })),
    ...expected.map((n) => ({ nodes: n, hops: expectedHops(n), series: `log2(N) / log2(${K})` })),
  ];
  const last = (series: string) => points.filter((p) => p.series === series).at(-1)!;
  // Deno has no DOM types: linkedom's window is typed as the global one, which lacks `document`.
  const { document } = parseHTML("<!doctype html><html><body></body></html>") as unknown as {
    document: Plot.PlotOptions["document"];
  };
  const chart = Plot.plot({
    document,
    width: 640,
    height: 360,
    marginRight: 130,
    style: { background: "white", fontSize: "12px" },
    x: { type: "log", label: "nodes (N)", grid: true },
    y: { label: "lookup hops", domain: [0, Math.max(6, ...sorted.map((r) => r.hops_p99 + 1))], grid: true },
    color: { domain: ["hops p50", "hops p99", `log2(N) / log2(${K})`], range: ["#1f77b4", "#d62728", "#555"] },
    marks: [
      Plot.line(points, { x: "nodes", y: "hops", stroke: "series", strokeWidth: 2 }),
      Plot.dot(points.filter((p) => !p.series.startsWith("log2")), { x: "nodes", y: "hops", fill: "series" }),
      Plot.text(["hops p50", "hops p99", `log2(N) / log2(${K})`].map(last), {
        x: "nodes",
        y: "hops",
        text: "series",
        fill: "series",
        dx: 8,
        textAnchor: "start",
      }),
    ],
  }) as unknown as { outerHTML: string };
  return chart.outerHTML.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"') + "\n";
}

if (import.meta.main) {
  const [input = "docs/simulation_scale.json", output = "docs/simulation_scale.svg"] = Deno.args;
  await Deno.writeTextFile(output, scaleChart(JSON.parse(await Deno.readTextFile(input)) as ScaleRow[]));
  // deno fmt formats SVG too: write it as `deno fmt --check` wants it.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", output] }).output();
  console.log(`wrote ${output}`);
}
