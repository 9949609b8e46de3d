/**
 * Plain-text tables for terminal output.
 * @module
 */

/** Pads columns; `align` gives each column's side (default: first left, the rest right). */
export function table(rows: string[][], align?: ("l" | "r")[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const side = (i: number) => align?.[i] ?? (i === 0 ? "l" : "r");
  return rows.map((r) =>
    r.map((cell, i) => side(i) === "l" ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ")
      .trimEnd()
  );
}
