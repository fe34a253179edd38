/** Renders rows as a plain text table with a header line, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells.map((row) => row.map((cell, i) => (cell ?? "").padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}
