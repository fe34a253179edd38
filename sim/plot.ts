/**
 * `deno run -A sim/plot.ts docs/simulation_scale.json docs/simulation_scale.svg`: the lookup hops of mass-join runs
 * against the number of nodes (log scale), with the expectation log2(N) / log2(k) for k = 20, as an SVG line chart.
 */

/** One measured mass-join run. */
export interface ScaleRow {
  nodes: number;
  hops_p50: number;
  hops_p99: number;
  lookup_ms_p50: number;
  lookup_ms_p99: number;
}

const K = 20;
const W = 640;
const H = 360;
const PAD = { left: 56, right: 160, top: 24, bottom: 48 };

/** Expected lookup depth: each hop resolves about log2(k) bits of the log2(N) that separate a node from a target. */
export function expectedHops(nodes: number): number {
  return Math.log2(nodes) / Math.log2(K);
}

/** The chart, as SVG text. */
export function scaleChart(rows: readonly ScaleRow[]): string {
  const sorted = [...rows].sort((a, b) => a.nodes - b.nodes);
  const xMin = Math.log10(Math.min(...sorted.map((r) => r.nodes), 1000));
  const xMax = Math.log10(Math.max(...sorted.map((r) => r.nodes), 100_000));
  const yMax = Math.max(6, ...sorted.map((r) => r.hops_p99 + 1));
  const x = (n: number) => PAD.left + ((Math.log10(n) - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const y = (h: number) => H - PAD.bottom - (h / yMax) * (H - PAD.top - PAD.bottom);
  const line = (points: Array<[number, number]>, color: string, dash = "") =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${
      points.map(([n, h]) => `${x(n).toFixed(1)},${y(h).toFixed(1)}`).join(" ")
    }"/>` + points.map(([n, h]) =>
      `<circle cx="${x(n).toFixed(1)}" cy="${y(h).toFixed(1)}" r="3" fill="${color}"/>`
    ).join("");
  const expected: Array<[number, number]> = [];
  for (let e = xMin; e <= xMax + 1e-9; e += 0.25) expected.push([10 ** e, expectedHops(10 ** e)]);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="black"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="black"/>`,
  ];
  for (let e = Math.ceil(xMin); e <= xMax; e++) {
    parts.push(`<text x="${x(10 ** e)}" y="${H - PAD.bottom + 18}" text-anchor="middle">10^${e}</text>`);
  }
  for (let h = 0; h <= yMax; h++) {
    parts.push(`<text x="${PAD.left - 8}" y="${y(h) + 4}" text-anchor="end">${h}</text>`);
    parts.push(`<line x1="${PAD.left}" y1="${y(h)}" x2="${W - PAD.right}" y2="${y(h)}" stroke="#eee"/>`);
  }
  parts.push(`<text x="${(W - PAD.right + PAD.left) / 2}" y="${H - 10}" text-anchor="middle">nodes (N)</text>`);
  parts.push(`<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">lookup hops</text>`);
  parts.push(line(sorted.map((r) => [r.nodes, r.hops_p50]), "#1f77b4"));
  parts.push(line(sorted.map((r) => [r.nodes, r.hops_p99]), "#d62728"));
  parts.push(line(expected, "#555", "5,4"));
  const legend: Array<[string, string]> = [["#1f77b4", "hops p50"], ["#d62728", "hops p99"], [
    "#555",
    "log2(N) / log2(20)",
  ]];
  legend.forEach(([color, label], i) => {
    const ly = PAD.top + 10 + i * 20;
    parts.push(
      `<line x1="${W - PAD.right + 12}" y1="${ly}" x2="${
        W - PAD.right + 36
      }" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${W - PAD.right + 42}" y="${ly + 4}">${label}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

if (import.meta.main) {
  const [input = "docs/simulation_scale.json", output = "docs/simulation_scale.svg"] = Deno.args;
  await Deno.writeTextFile(output, scaleChart(JSON.parse(await Deno.readTextFile(input)) as ScaleRow[]));
  console.log(`wrote ${output}`);
}
