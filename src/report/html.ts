/**
 * `report --html FILE`: one self-contained page. The charting library (uPlot)
 * is inlined through text imports, so the file needs no network when viewed
 * and a compiled binary carries the library. Every figure on the page comes
 * from the same report object as `--json`; table cells carry `data-figure`
 * paths into it.
 * @module
 */
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import type { BackendReport } from "./report.ts";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import type { Rollout } from "./rollout.ts";
import { MACHINE_HEADER, machineCells, type MachineRow } from "./machines.ts";
import { pct, usd } from "./format.ts";
import type { Interval } from "./maths.ts";
import { barChart, colourOf, histogramChart, intervalChart, stackedChart } from "./charts.ts";

export interface HtmlInput {
  since: string;
  agent: string | null;
  /** The caps' time zone: days are cap days. */
  timezone: string;
  backends: BackendReport[];
  /** Each canary's arms (pressroom rollout), when some agent has had one. */
  rollouts?: Rollout[];
  /** Every machine on a shared ledger. */
  machines?: MachineRow[];
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

function cell(path: string, text: string): string {
  return `<td data-figure="${escape(path)}">${escape(text)}</td>`;
}

function section(r: BackendReport, i: number, input: HtmlInput): string {
  const p = `backends.${i}`;
  const c = r.completions;
  const shares = r.shareByAgent.map((s, j) =>
    `<tr><td>${escape(s.agent)}</td>${cell(`${p}.shareByAgent.${j}.usd`, usd(s.usd))}` +
    `${cell(`${p}.shareByAgent.${j}.share`, pct(s.share))}</tr>`
  ).join("\n");
  const swaps = r.cache.coldWritesAfterSwap.map((w, j) =>
    `<tr><td>${escape(w.agent)}</td><td>${escape(w.from)} → ${escape(w.to)}</td><td>${escape(w.at)}</td>` +
    `${cell(`${p}.cache.coldWritesAfterSwap.${j}.writeTokens`, String(w.writeTokens))}` +
    `${cell(`${p}.cache.coldWritesAfterSwap.${j}.writeUsd`, usd(w.writeUsd))}<td>${
      escape(w.reason ?? "")
    }</td></tr>`
  ).join("\n");
  const agents = r.agents.map((a, j) => {
    const q = `${p}.agents.${j}`;
    return `<tr><td>${escape(a.agent)}</td><td>${escape(a.model)}</td>${
      cell(`${q}.calls`, String(a.calls))
    }` +
      `${cell(`${q}.costPerCallUsd`, usd(a.costPerCallUsd))}${
        cell(`${q}.toolAccuracy`, pct(a.toolAccuracy))
      }` +
      `<td>${pct(a.toolAccuracy95.low)}–${pct(a.toolAccuracy95.high)} (n=${a.toolCalls})</td>` +
      `${cell(`${q}.failures.wrong_tool`, String(a.failures.wrong_tool))}` +
      `${cell(`${q}.failures.malformed_args`, String(a.failures.malformed_args))}` +
      `${cell(`${q}.failures.logic_error`, String(a.failures.logic_error))}` +
      `${cell(`${q}.retriesPerCompletion`, a.retriesPerCompletion.toFixed(2))}` +
      `${cell(`${q}.turnsPerCompletion.mean`, a.turnsPerCompletion.mean.toFixed(1))}</tr>`;
  }).join("\n");
  // Only where some agent sent calls in Message Batches: their share, and what batch prices saved.
  const batches = r.agents.map((a, j) => ({ a, q: `${p}.agents.${j}` })).filter(({ a }) => a.batch.share > 0)
    .map(({ a, q }) =>
      `<tr><td>${escape(a.agent)}</td><td>${escape(a.model)}</td>${
        cell(`${q}.batch.share`, pct(a.batch.share))
      }` +
      `${cell(`${q}.batch.savedUsd`, usd(a.batch.savedUsd))}</tr>`
    ).join("\n");
  const days = r.caps.map((d, j) =>
    `<tr><td>${escape(d.day)}</td>${cell(`${p}.caps.${j}.spendUsd`, usd(d.spendUsd))}` +
    `${cell(`${p}.caps.${j}.refusals`, String(d.refusals))}<td>${d.hitCap ? "hit a cap" : ""}</td></tr>`
  ).join("\n");
  return `
<section>
<h2>${r.simulated ? "Simulated (the demo's model, not real spend)" : "Anthropic API"}</h2>
<h3>${
    input.agent ? `The ${escape(input.agent)}'s cost per completion (its calls only)` : "Cost per completion"
  }</h3>
<table><tr><th>completions</th><th>mean</th><th>p50</th><th>p90</th></tr>
<tr>${cell(`${p}.completions.count`, String(c.count))}${cell(`${p}.completions.meanUsd`, usd(c.meanUsd))}` +
    `${cell(`${p}.completions.p50Usd`, usd(c.p50Usd))}${
      cell(`${p}.completions.p90Usd`, usd(c.p90Usd))
    }</tr></table>
${
      r.trendByDay.length > 1
        ? `<div class="chart" id="trend-${i}"></div>`
        : `<p class="note">One day of data: the time series starts with the second day.</p>`
    }
${histogramChart(`histogram-${i}`, "How many completions cost how much", r.completionHistogram, usd)}
${mixSection(r, p)}
${
      shares
        ? `<table><tr><th>agent</th><th>cost in completed workflows</th><th>share of their whole cost</th></tr>
${shares}</table>`
        : ""
    }
<h3>Agents and models</h3>
<table><tr><th>agent</th><th>model</th><th>calls</th><th>$/call</th><th>tool accuracy</th><th>95% interval</th>` +
    `<th>wrong tool</th><th>malformed</th><th>logic</th><th>retries/completion</th><th>turns/completion</th></tr>
${agents}</table>
${accuracyChart(r, i)}
${
      batches
        ? `<h3>Message Batches</h3>\n<table><tr><th>agent</th><th>model</th><th>calls in batches</th>` +
          `<th>saved against standard prices</th></tr>\n${batches}</table>\n`
        : ""
    }<h3>Cache</h3>
<table><tr><th>calls</th><th>stable blocks read</th><th>prompt tokens from cache</th><th>saved by cache reads</th></tr>
<tr>${cell(`${p}.cache.calls`, String(r.cache.calls))}${
      cell(`${p}.cache.stableHitRate`, pct(r.cache.stableHitRate))
    }` +
    `${cell(`${p}.cache.tokenHitRate`, pct(r.cache.tokenHitRate))}${
      cell(`${p}.cache.readSavedUsd`, usd(r.cache.readSavedUsd))
    }</tr></table>
${
      swaps
        ? `<table><tr><th>model swap</th><th>models</th><th>at</th><th>cold cache write (tokens)</th>` +
          `<th>its cost</th><th>diagnostics</th></tr>\n${swaps}</table>`
        : ""
    }
${citationTable(r, p)}
${cacheSavingsChart(r, i)}
${cacheTtlTables(r, p)}
<h3>Spend per day (cap days in ${escape(input.timezone)}; ${
      r.simulated
        ? "simulated spend never counts toward the caps"
        : "real API spend, which is all the caps count"
    })</h3>
${r.caps.length > 1 ? `<div class="chart" id="spend-${i}"></div>` : ""}
<table><tr><th>day</th><th>spend</th><th>refusals</th><th>cap</th></tr>
${days}</table>
${
      r.overReservedCalls
        ? `<p>${r.overReservedCalls} call(s) booked above their reservation, which can pass a cap: usage the API ` +
          "cannot send (a proxy in between?); <code>pressroom doctor</code> names the latest</p>"
        : ""
    }
</section>`;
}

/** Agents in pipeline order. */
const byAgent = (a: string, b: string) => AGENT_IDS.indexOf(a as AgentId) - AGENT_IDS.indexOf(b as AgentId);

/** Each agent's first-attempt tool accuracy on each model, with its 95 % interval: the A/B at a glance. */
function accuracyChart(r: BackendReport, i: number): string {
  const rows = [...r.agents].filter((a) => a.toolCalls > 0)
    .sort((a, b) => byAgent(a.agent, b.agent) || a.model.localeCompare(b.model))
    .map((a) => ({
      label: `${a.agent} · ${a.model}`,
      value: a.toolAccuracy,
      low: a.toolAccuracy95.low,
      high: a.toolAccuracy95.high,
      n: a.toolCalls,
      colour: colourOf(a.agent),
    }));
  const floor = Math.max(0, Math.floor(Math.min(...rows.map((row) => row.low), 1) * 10) / 10);
  return intervalChart(`accuracy-${i}`, "Tool accuracy by agent and model (95 % interval)", rows, pct, [
    floor,
    1,
  ]);
}

/** Each mix of models: its completions, its cost per completion and each agent's share of it. */
function mixSection(r: BackendReport, p: string): string {
  if (!r.modelMixes.length) return "";
  const chart = stackedChart(
    `mixes-${p}`,
    "Cost per completion by model mix, each agent's part",
    r.modelMixes.map((m) => ({
      label: m.label,
      note: `${usd(m.meanUsd)} (n=${m.completions})`,
      parts: [...m.agents].sort((a, b) => byAgent(a.agent, b.agent)).map((a) => ({
        name: a.agent,
        value: a.usd,
      })),
    })),
    usd,
  );
  const rows = r.modelMixes.map((m, j) =>
    `<tr><td>${escape(m.label)}</td>${cell(`${p}.modelMixes.${j}.completions`, String(m.completions))}` +
    `${cell(`${p}.modelMixes.${j}.meanUsd`, usd(m.meanUsd))}<td>${
      escape(
        [...m.agents].sort((a, b) => byAgent(a.agent, b.agent)).map((a) => `${a.agent} ${pct(a.share)}`).join(
          ", ",
        ),
      )
    }</td></tr>`
  ).join("\n");
  return `${chart}\n<table><tr><th>model mix</th><th>completions</th><th>cost per completion</th>` +
    `<th>each agent's share</th></tr>\n${rows}</table>`;
}

/** Citations per completion by provenance, per citing agent and model. */
function citationTable(r: BackendReport, p: string): string {
  if (!r.citations.length) return "";
  const rows = r.citations.map((c, j) => {
    const q = `${p}.citations.${j}`;
    return `<tr><td>${escape(c.agent)}</td><td>${escape(c.model)}</td>${
      cell(`${q}.completions`, String(c.completions))
    }` +
      (["web_search", "source", "unverified", "unrecorded"] as const).map((k) =>
        cell(`${q}.perCompletion.${k}`, c.perCompletion[k].toFixed(1))
      ).join("") +
      `${cell(`${q}.droppedQuotesPerCompletion`, c.droppedQuotesPerCompletion.toFixed(2))}</tr>`;
  }).join("\n");
  return `<h3>Citations per completion, by where their addresses came from</h3>
<table><tr><th>agent</th><th>model</th><th>completions</th><th>from web search</th><th>from source files</th>` +
    `<th>unverified</th><th>unrecorded (allow, or before provenance)</th><th>quotes dropped</th></tr>\n${rows}</table>`;
}

/** What each agent's cache reads saved, over its models. */
function cacheSavingsChart(r: BackendReport, i: number): string {
  const saved = new Map<string, number>();
  for (const a of r.agents) saved.set(a.agent, (saved.get(a.agent) ?? 0) + a.cacheSavedUsd);
  const rows = [...saved].sort(([a], [b]) => byAgent(a, b))
    .map(([agent, value]) => ({ label: agent, value, colour: colourOf(agent) }));
  return barChart(`cache-savings-${i}`, "What cache reads saved, by agent", rows, usd);
}

/** A canary's two arms: their figures side by side, the differences with intervals, and the verdict. */
function canarySection(r: Rollout, k: number): string {
  const q = `rollouts.${k}`;
  const arm = (name: "canary" | "control") => {
    const a = r[name];
    const f = `${q}.${name}`;
    return `<tr><td>${name}: ${escape(a.model)}</td>${cell(`${f}.workflows`, String(a.workflows))}` +
      `${cell(`${f}.completions`, String(a.completions))}` +
      `${cell(`${f}.agentCostPerCompletionUsd`, usd(a.agentCostPerCompletionUsd))}` +
      `${cell(`${f}.workflowCostPerCompletionUsd`, usd(a.workflowCostPerCompletionUsd))}` +
      `${cell(`${f}.toolAccuracy.value`, pct(a.toolAccuracy.value))}` +
      `${cell(`${f}.retriesPerCompletion`, a.retriesPerCompletion.toFixed(2))}` +
      `${cell(`${f}.revisionsPerWorkflow`, a.revisionsPerWorkflow.toFixed(2))}</tr>`;
  };
  const accuracy = intervalChart(
    `canary-accuracy-${k}`,
    `${r.agent}: first-attempt tool accuracy by arm (95 % interval)`,
    (["canary", "control"] as const).map((name) => ({
      label: `${name} · ${r[name].model}`,
      value: r[name].toolAccuracy.value,
      low: r[name].toolAccuracy.low,
      high: r[name].toolAccuracy.high,
      n: r[name].toolAccuracy.n,
      colour: name === "canary" ? "#e15759" : "#4e79a7",
    })),
    pct,
  );
  const d = r.difference;
  const differences = intervalChart(
    `canary-difference-${k}`,
    `${r.agent}: canary − control, cost per completion (95 % interval; left of 0 the canary is cheaper)`,
    [
      { label: `the ${r.agent}'s cost`, ...d.agentCostPerCompletionUsd, n: r.canary.completions },
      { label: "the workflow's cost", ...d.workflowCostPerCompletionUsd, n: r.canary.completions },
    ].map((row) => ({ ...row, value: row.estimate })),
    (x) => `${x < 0 ? "−" : x > 0 ? "+" : ""}$${Math.abs(x).toFixed(4)}`,
    symmetric([d.agentCostPerCompletionUsd, d.workflowCostPerCompletionUsd]),
  );
  return `<section class="canary"><h2>Canary: ${escape(r.agent)} on ${escape(r.canary.model)} ` +
    `(${Math.round(r.share * 100)} % of new workflows)</h2>
<table><tr><th>arm</th><th>workflows</th><th>completed</th><th>${
      escape(r.agent)
    }'s cost per completion</th>` +
    `<th>workflow's cost per completion</th><th>tool accuracy</th><th>retries per completion</th>` +
    `<th>revisions per workflow</th></tr>
${arm("canary")}
${arm("control")}</table>
${accuracy}
${differences}
<p data-figure="${q}.verdict.text"><strong>Verdict:</strong> ${escape(r.verdict.text)}</p></section>`;
}

/** An axis centred on zero that holds every interval given (infinite ends aside). */
function symmetric(differences: Interval[]): [number, number] {
  const ends = differences.flatMap((x) => [x.estimate, x.low, x.high])
    .filter((v): v is number => v !== null && Number.isFinite(v)).map(Math.abs);
  const most = Math.max(...ends, 1e-4) * 1.1;
  return [-most, most];
}

/** The TTLs each breakpoint used with what they saved, and the misses the API's diagnostics explained. */
function cacheTtlTables(r: BackendReport, p: string): string {
  const ttls = r.cache.ttls.map((t, j) => {
    const q = `${p}.cache.ttls.${j}`;
    return `<tr><td>${escape(t.agent)}</td><td>${escape(t.model)}</td><td>${
      escape(t.ttls.map((u) => `${u.ttls} (${u.calls})`).join(", "))
    }</td>${cell(`${q}.cacheUsd`, usd(t.cacheUsd))}${cell(`${q}.chosenUsd`, usd(t.chosenUsd))}` +
      `${cell(`${q}.fixed5mUsd`, usd(t.fixed5mUsd))}${cell(`${q}.fixed1hUsd`, usd(t.fixed1hUsd))}` +
      `${cell(`${q}.savedVs5mUsd`, usd(t.savedVs5mUsd))}${
        cell(`${q}.savedVs1hUsd`, usd(t.savedVs1hUsd))
      }</tr>`;
  }).join("\n");
  const misses = r.cache.misses.map((m, j) => {
    const q = `${p}.cache.misses.${j}`;
    return `<tr><td>${escape(m.agent)}</td><td>${escape(m.model)}</td><td>${escape(m.reason)}</td>` +
      `${cell(`${q}.calls`, String(m.calls))}${cell(`${q}.missedTokens`, String(m.missedTokens))}` +
      `${cell(`${q}.writeUsd`, usd(m.writeUsd))}</tr>`;
  }).join("\n");
  return (ttls
    ? `<h3>Cache TTLs (shared, agent, conversation; re-priced from the ledger's token counts)</h3>
<table><tr><th>agent</th><th>model</th><th>TTLs used (calls)</th><th>booked</th><th>as chosen</th>` +
      `<th>fixed 5m</th><th>fixed 1h</th><th>saved vs 5m</th><th>saved vs 1h</th></tr>\n${ttls}</table>\n`
    : "") +
    (misses
      ? `<h3>Cache misses the API's diagnostics explained</h3>
<table><tr><th>agent</th><th>model</th><th>reason</th><th>calls</th><th>missed tokens</th>` +
        `<th>cache writes</th></tr>\n${misses}</table>\n`
      : "");
}

/** Every machine on the shared ledger, one row each. */
function machinesSection(machines: MachineRow[]): string {
  const rows = machines.map((m, i) =>
    `<tr>${machineCells(m).map((c) => cell(`machines.${i}.${c.field}`, c.text)).join("")}</tr>`
  ).join("\n");
  return `<h2>Every machine on the shared ledger</h2>
<p class="note">The caps count them all, and every figure above is all of theirs.</p>
<table><tr>${MACHINE_HEADER.map((h) => `<th>${h}</th>`).join("")}</tr>\n${rows}</table>`;
}

export function renderHtml(input: HtmlInput): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pressroom report</title>
<style>${uplotCss}
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}
.chart{margin:1em 0;display:block}.note{color:#555}</style>
<script>${uplotJs}</script>
</head><body>
<h1>Pressroom report</h1>
<p>Since ${escape(input.since)}${
    input.agent ? `, agent ${escape(input.agent)}` : ""
  }. Every figure with its sample size.</p>
${input.backends.map((r, i) => section(r, i, input)).join("\n")}
${(input.rollouts ?? []).map((r, k) => canarySection(r, k)).join("\n")}
${input.machines?.length ? machinesSection(input.machines) : ""}
<script type="application/json" id="report-data">${scriptJson(input)}</script>
<script>
const report = JSON.parse(document.getElementById("report-data").textContent);
const seconds = (day) => Date.parse(day + "T00:00:00Z") / 1000;
// One day of data still gets a readable axis: a day either side.
const x = { time: true, range: (u, min, max) => min === max ? [min - 86400, max + 86400] : [min, max] };
const dots = { show: true, size: 7 };
report.backends.forEach((b, i) => {
  const width = Math.min(900, document.body.clientWidth - 40);
  // A time series needs two days at least: with one, the table says it all.
  if (b.trendByDay.length > 1) {
    new uPlot({ title: "Mean cost per completion (USD)", width, height: 220, scales: { x },
      series: [{}, { label: "mean", stroke: "#2a6", points: dots },
        { label: "completions", stroke: "#888", scale: "n", points: dots }],
      axes: [{}, {}, { scale: "n", side: 1 }] },
      [b.trendByDay.map((d) => seconds(d.day)), b.trendByDay.map((d) => d.meanUsd), b.trendByDay.map((d) => d.completions)],
      document.getElementById("trend-" + i));
  }
  if (b.caps.length > 1) {
    const names = Object.keys(b.caps[0].byCap);
    new uPlot({ title: "Spend per day against each daily cap (USD)", width, height: 220, scales: { x },
      series: [{}, ...names.map((n, k) => ({ label: n, stroke: ["#36c", "#c63", "#693", "#939"][k % 4], points: dots }))] },
      [b.caps.map((d) => seconds(d.day)), ...names.map((n) => b.caps.map((d) => d.byCap[n] ?? 0))],
      document.getElementById("spend-" + i));
  }
});
</script>
</body></html>
`;
}
