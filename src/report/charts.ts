/**
 * The HTML report's charts as inline SVG, drawn here from the report's figures: no script, nothing to
 * load, the same in a browser, a mail client or a printout. Pure: figures in, markup out.
 * @module
 */

const WIDTH = 760;
const LABEL = 250;
const RIGHT = 130;
const PLOT = WIDTH - LABEL - RIGHT;
const ROW = 24;
const TOP = 28;
const AXIS = 26;

/** One colour per agent, in pipeline order; anything else grey. */
const AGENT_COLOURS: Record<string, string> = {
  intake: "#4e79a7",
  planner: "#f28e2b",
  researcher: "#59a14f",
  writer: "#e15759",
  editor: "#b07aa1",
  publisher: "#76b7b2",
};
export const colourOf = (name: string) => AGENT_COLOURS[name] ?? "#9c9c9c";

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

function svg(name: string, height: number, title: string, body: string): string {
  return `<svg class="chart" data-chart="${escape(name)}" role="img" aria-label="${escape(title)}" ` +
    `viewBox="0 0 ${WIDTH} ${fmt(height)}" width="${WIDTH}" height="${fmt(height)}" ` +
    `xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif" font-size="12">` +
    `<text x="0" y="16" font-weight="600" font-size="14">${escape(title)}</text>${body}</svg>`;
}

/** "Nice" tick values covering [low, high]: steps of 1, 2 or 5 × a power of ten, about five of them. */
export function ticks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + 1e-9; v += step) {
    out.push(Number((Math.round(v / step) * step).toPrecision(12)));
  }
  return out;
}

function axis(x: (v: number) => number, values: number[], y: number, format: (v: number) => string): string {
  return values.map((v) =>
    `<line x1="${fmt(x(v))}" x2="${fmt(x(v))}" y1="${TOP}" y2="${fmt(y)}" stroke="#e4e4e4"/>` +
    `<text x="${fmt(x(v))}" y="${fmt(y + 16)}" text-anchor="middle" fill="#555">${escape(format(v))}</text>`
  ).join("");
}

export interface IntervalRow {
  label: string;
  value: number;
  /** Null: no interval yet (the dot alone). */
  low: number | null;
  high: number | null;
  n: number;
  colour?: string;
}

/**
 * Dots and whiskers: each row's value with its interval, on one shared axis, so that two models' (or two
 * arms') intervals can be seen to overlap or not. `domain` fixes the axis; by default it spans the rows.
 */
export function intervalChart(
  name: string,
  title: string,
  rows: IntervalRow[],
  format: (v: number) => string,
  domain?: [number, number],
): string {
  if (!rows.length) return "";
  const ends = rows.flatMap((r) => [r.low, r.high]).filter((v): v is number =>
    v !== null && Number.isFinite(v)
  );
  const lowest = Math.min(...ends, ...rows.map((r) => r.value));
  const highest = Math.max(...ends, ...rows.map((r) => r.value));
  const pad = (highest - lowest) * 0.05 || Math.abs(highest) * 0.05 || 0.01;
  const [a, b] = domain ?? [lowest - pad, highest + pad];
  const x = (v: number) => LABEL + ((Math.min(b, Math.max(a, v)) - a) / (b - a)) * PLOT;
  const height = TOP + rows.length * ROW + AXIS + 8;
  const body = axis(x, ticks(a, b), TOP + rows.length * ROW, format) +
    rows.map((r, i) => {
      const y = TOP + i * ROW + ROW / 2;
      const colour = r.colour ?? "#333";
      const whisker = r.low !== null && r.high !== null
        ? `<line x1="${fmt(x(r.low))}" x2="${
          fmt(x(r.high))
        }" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"/>` +
          `<line x1="${fmt(x(r.low))}" x2="${fmt(x(r.low))}" y1="${y - 5}" y2="${
            y + 5
          }" stroke="${colour}"/>` +
          `<line x1="${fmt(x(r.high))}" x2="${fmt(x(r.high))}" y1="${y - 5}" y2="${
            y + 5
          }" stroke="${colour}"/>`
        : "";
      const interval = r.low !== null && r.high !== null
        ? `${format(r.low)} to ${format(r.high)}`
        : "no interval yet";
      return `<g data-row="${escape(r.label)}"><title>${escape(r.label)}: ${escape(format(r.value))} ` +
        `(${escape(interval)}, n=${r.n})</title>` +
        `<text x="${LABEL - 8}" y="${y + 4}" text-anchor="end">${escape(r.label)}</text>${whisker}` +
        `<circle cx="${fmt(x(r.value))}" cy="${y}" r="4.5" fill="${colour}"/>` +
        `<text x="${LABEL + PLOT + 8}" y="${y + 4}" fill="#333">${
          escape(format(r.value))
        } (n=${r.n})</text></g>`;
    }).join("");
  return svg(name, height, title, body);
}

export interface StackedRow {
  label: string;
  /** Shown at the bar's end: the total, with its sample size. */
  note: string;
  parts: { name: string; value: number }[];
}

/** Horizontal bars of stacked parts (each agent's share of a mix's cost per completion), with a legend. */
export function stackedChart(
  name: string,
  title: string,
  rows: StackedRow[],
  format: (v: number) => string,
): string {
  if (!rows.length) return "";
  const max = Math.max(...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0))) || 1;
  const names = [...new Set(rows.flatMap((r) => r.parts.map((p) => p.name)))];
  const legendY = TOP + rows.length * ROW + 14;
  const body = rows.map((r, i) => {
    const y = TOP + i * ROW + 3;
    let at = LABEL;
    const parts = r.parts.map((p) => {
      const w = (p.value / max) * PLOT;
      const rect = `<rect x="${fmt(at)}" y="${y}" width="${fmt(Math.max(0, w))}" height="${ROW - 6}" ` +
        `fill="${colourOf(p.name)}"><title>${
          escape(`${r.label}: ${p.name} ${format(p.value)}`)
        }</title></rect>`;
      at += w;
      return rect;
    }).join("");
    return `<g data-row="${escape(r.label)}"><text x="${LABEL - 8}" y="${y + 13}" text-anchor="end">` +
      `${escape(r.label)}</text>${parts}<text x="${fmt(at + 6)}" y="${y + 13}" fill="#333">${
        escape(r.note)
      }</text></g>`;
  }).join("") +
    names.map((n, i) =>
      `<rect x="${i * 100}" y="${legendY}" width="10" height="10" fill="${colourOf(n)}"/>` +
      `<text x="${i * 100 + 14}" y="${legendY + 9}">${escape(n)}</text>`
    ).join("");
  return svg(name, legendY + 20, title, body);
}

/** Vertical bars over equal-width bins (how many completions cost how much). */
export function histogramChart(
  name: string,
  title: string,
  bins: { fromUsd: number; toUsd: number; count: number }[],
  format: (v: number) => string,
): string {
  if (!bins.length) return "";
  const height = 200;
  const left = 40;
  const plotW = WIDTH - left - 20;
  const plotH = height - TOP - AXIS - 10;
  const max = Math.max(...bins.map((b) => b.count)) || 1;
  const w = plotW / bins.length;
  const body = ticks(0, max, Math.min(4, max)).map((v) => {
    const y = TOP + plotH - (v / max) * plotH;
    return `<line x1="${left}" x2="${WIDTH - 20}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#e4e4e4"/>` +
      `<text x="${left - 6}" y="${fmt(y + 4)}" text-anchor="end" fill="#555">${v}</text>`;
  }).join("") +
    bins.map((b, i) => {
      const h = (b.count / max) * plotH;
      const x = left + i * w;
      return `<rect x="${fmt(x + 1)}" y="${fmt(TOP + plotH - h)}" width="${fmt(Math.max(1, w - 2))}" ` +
        `height="${fmt(h)}" fill="#4e79a7"><title>${
          escape(
            `${format(b.fromUsd)} to ${format(b.toUsd)}: ` +
              `${b.count}`,
          )
        }</title></rect>` +
        (i % Math.ceil(bins.length / 6) === 0
          ? `<text x="${fmt(x)}" y="${fmt(TOP + plotH + 16)}" fill="#555">${escape(format(b.fromUsd))}</text>`
          : "");
    }).join("");
  return svg(name, height, title, body);
}

/** Horizontal bars, one per row (what each agent's cache reads saved). */
export function barChart(
  name: string,
  title: string,
  rows: { label: string; value: number; colour?: string }[],
  format: (v: number) => string,
): string {
  if (!rows.length) return "";
  const max = Math.max(...rows.map((r) => r.value)) || 1;
  const body = rows.map((r, i) => {
    const y = TOP + i * ROW + 3;
    const w = (Math.max(0, r.value) / max) * PLOT;
    return `<g data-row="${escape(r.label)}"><text x="${LABEL - 8}" y="${y + 13}" text-anchor="end">` +
      `${escape(r.label)}</text><rect x="${LABEL}" y="${y}" width="${fmt(w)}" height="${ROW - 6}" ` +
      `fill="${r.colour ?? "#4e79a7"}"/><text x="${fmt(LABEL + w + 6)}" y="${y + 13}" fill="#333">` +
      `${escape(format(r.value))}</text></g>`;
  }).join("");
  return svg(name, TOP + rows.length * ROW + 8, title, body);
}
