/**
 * One row of the bench table, and the table as Markdown: every benchmark
 * prints into the same table, with whether it met its target.
 * @module
 */

export interface BenchRow {
  benchmark: string;
  figure: string;
  target: string;
  measured: string;
  /** Whether the target was met; undefined where there is no target. */
  met?: boolean;
}

export function markdownTable(rows: BenchRow[]): string {
  return renderTable([
    ["benchmark", "figure", "target", "measured", "met"],
    ...rows.map((
      r,
    ) => [r.benchmark, r.figure, r.target, r.measured, r.met === undefined ? "" : r.met ? "yes" : "no"]),
  ]);
}

/** A header row and its rows as a Markdown table, each column as wide as its widest cell. */
export function renderTable(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  return [line(cells[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)]
    .join("\n");
}
