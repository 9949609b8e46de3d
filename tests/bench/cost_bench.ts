/**
 * The `cost` section: the reference workload (tests/reference_workload.ts) spread over a simulated day on a
 * fake clock, run side by side under the field report's stack as it describes itself (tests/bench/report_stack.ts)
 * and under Pressroom's defaults, with the report's own figures beside them. Every row runs the same profiles,
 * topics, seed and arrivals with the report's steady-state model mix (Pressroom's default assignment); only
 * the request layout and the cap mechanism differ. The issues that build a cost lever (Message Batches,
 * TTL choice, canaries) add their rows to ROWS.
 * @module
 */
import { DEMO_REQUESTS } from "../../src/cli/demo.ts";
import { AGENT_IDS, type AgentId } from "../../src/config/schema.ts";
import { ReportQueries } from "../../src/report/queries.ts";
import { type Rollout, rolloutFrom } from "../../src/report/rollout.ts";
import { rawDb } from "../helpers.ts";
import { type Day, type PipelineRun, runPipeline, type RunResult } from "../sim_pipeline.ts";
import { FIELD_REPORT, REFERENCE_SEED, REFERENCE_WORKFLOWS } from "../reference_workload.ts";
import { renderTable } from "./table.ts";
import { oneBlockLayout, REPORT_DAILY_CAP_USD, reportCapGate, segmentedLayout } from "./report_stack.ts";

/** The report's "six simultaneous workflow instances", ten times a working day: 08:00 to 20:00, 80 minutes apart. */
export const REFERENCE_DAY: Day = {
  start: Date.UTC(2026, 4, 4),
  arrivalsMs: Array.from(
    { length: REFERENCE_WORKFLOWS },
    (_, i) => (8 * 60 + Math.floor(i / 6) * 80) * 60_000,
  ),
};

/** Caps no row reaches, for the rows whose caps are not Pressroom's. */
const NO_CAPS = { caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 } };

export interface CostRow {
  name: string;
  run: Partial<PipelineRun>;
  /** The agent whose canary the row runs: its `pressroom rollout` verdict is printed under the table. */
  rollout?: AgentId;
  /** The daily cap the row runs under, USD, to show that it held. */
  capUsd: number;
}

export const ROWS: CostRow[] = [
  {
    name: "1. the report's stack: one cached stable block (5m), volatile block, SUM check",
    run: { transform: segmentedLayout, gate: reportCapGate(), config: NO_CAPS },
    capUsd: REPORT_DAILY_CAP_USD,
  },
  {
    name: "   the same before segmentation (volatile inside the cached block)",
    run: { transform: oneBlockLayout, gate: reportCapGate(), config: NO_CAPS },
    capUsd: REPORT_DAILY_CAP_USD,
  },
  // Pressroom's defaults: the config as `init` writes it ($20 a day, Opus $12, $1 a workflow).
  { name: "2. Pressroom's defaults", run: { config: {} }, capUsd: 20 },
  // Issue 15: every agent waits on cron wakes anyway, so every agent's turns go into batches, with the
  // 1h cache TTL Anthropic advises for batches (turns are a batch apart, longer than 5m: what `auto` gives a
  // batch request); the simulated batches end 15 minutes after they are sent (Anthropic: most within an
  // hour), polled every 5 minutes.
  {
    name: "3. Message Batches: every agent, 1h cache, batches ending after 15 min",
    run: {
      config: {
        agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { batch: true }])),
        run: { batchPollSeconds: 300 },
      },
      batches: { processingMs: 15 * 60_000 },
    },
    capUsd: 20,
  },
  // Issue 16: agents woken only by their cron (no handoff wakes), every minute and every 15 minutes, under a
  // fixed 5m TTL, a fixed 1h TTL and `auto`.
  ...ttlRows("4", "every minute", "* * * * *"),
  ...ttlRows("5", "every 15 minutes", "*/15 * * * *"),
  // Issue 17: the field report's cheapest swap, tried as a canary on Pressroom's defaults: the writer on
  // Sonnet 4.6 for half the new workflows (`pressroom rollout` reads the two arms from such a day).
  {
    name: "6. canary: the writer on Sonnet 4.6 for 50 % of workflows",
    run: { config: { agents: { writer: { canary: { model: "claude-sonnet-4-6", share: 0.5 } } } } },
    rollout: "writer",
    capUsd: 20,
  },
];

function ttlRows(number: string, every: string, schedule: string): CostRow[] {
  return (["5m", "1h", "auto"] as const).map((ttl, i) => ({
    name: `${i === 0 ? number + "." : "  "} woken ${every}, ${ttl === "auto" ? "TTL auto" : "fixed " + ttl}`,
    run: {
      config: {
        agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { schedule, cacheTtl: ttl }])),
        run: { wakeOnHandoff: false },
      },
    },
    capUsd: 20,
  }));
}

export interface CostFigures {
  name: string;
  completions: number;
  mean: number;
  p50: number;
  p90: number;
  callsPerCompletion: number;
  retriesPerCompletion: number;
  stableHitRate: number;
  toolAccuracy: number;
  lastCompletionMs?: number;
  maxDaySpendUsd: number;
  capUsd: number;
  /** What `pressroom rollout` makes of the row's canary. */
  rollout?: Rollout;
}

function figures(name: string, r: RunResult, capUsd: number): CostFigures {
  const { completions, agents, cache } = r.report;
  const toolCalls = agents.reduce((n, a) => n + a.toolCalls, 0);
  return {
    name,
    completions: completions.count,
    mean: completions.meanUsd,
    p50: completions.p50Usd,
    p90: completions.p90Usd,
    callsPerCompletion: r.calls / Math.max(1, completions.count),
    retriesPerCompletion: agents.reduce((n, a) => n + a.retriesPerCompletion, 0),
    stableHitRate: cache.stableHitRate,
    toolAccuracy: agents.reduce((n, a) => n + a.toolAccuracy * a.toolCalls, 0) / Math.max(1, toolCalls),
    lastCompletionMs: r.lastCompletionMs,
    maxDaySpendUsd: r.maxDaySpendUsd,
    capUsd,
  };
}

/** Each row of ROWS over the reference day; `workflows` keeps to that many of its first arrivals. */
export async function costRuns(
  rows: CostRow[] = ROWS,
  { workflows = REFERENCE_WORKFLOWS }: { workflows?: number } = {},
): Promise<CostFigures[]> {
  const out: CostFigures[] = [];
  for (const row of rows) {
    let arms: Rollout | undefined;
    const r = await runPipeline({
      workflows,
      seed: REFERENCE_SEED,
      topics: DEMO_REQUESTS.map((d) => d.topic),
      fixedIds: true,
      day: { ...REFERENCE_DAY, arrivalsMs: REFERENCE_DAY.arrivalsMs.slice(0, workflows) },
      ...row.run,
      inspect: (ledger) => {
        if (!row.rollout) return;
        arms = rolloutFrom(new ReportQueries(rawDb(ledger)), row.rollout, "sim");
      },
    });
    out.push({ ...figures(row.name, r, row.capUsd), rollout: arms });
  }
  return out;
}

const usd = (n: number) => `$${n.toFixed(4)}`;
const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
const hm = (ms?: number) =>
  ms === undefined
    ? "—"
    : `${Math.floor(ms / 3_600_000)}:${String(Math.floor(ms / 60_000) % 60).padStart(2, "0")}`;

/** The section as a Markdown table, the field report's own figures last. */
export function costTable(runs: CostFigures[]): string {
  const head = [
    "run",
    "completions",
    "cost/completion mean",
    "p50",
    "p90",
    "× row 1",
    "calls/completion",
    "retries/completion",
    "stable-block hit",
    "tool accuracy",
    "last completion (sim)",
    "top day / cap",
  ];
  const base = runs[0]?.mean ?? 1;
  const cells = runs.map((f) => [
    f.name,
    String(f.completions),
    usd(f.mean),
    usd(f.p50),
    usd(f.p90),
    (f.mean / base).toFixed(2),
    f.callsPerCompletion.toFixed(1),
    f.retriesPerCompletion.toFixed(1),
    pct(f.stableHitRate),
    pct(f.toolAccuracy),
    hm(f.lastCompletionMs),
    `$${f.maxDaySpendUsd.toFixed(2)} / $${f.capUsd}`,
  ]);
  cells.push([
    "field report, as published (steady state)",
    "38–41 a week",
    usd(FIELD_REPORT.steady.costPerCompletionUsd),
    "—",
    "—",
    "—",
    "—",
    "—",
    `${pct(FIELD_REPORT.stableHitSegmented)} (${pct(FIELD_REPORT.stableHitOneBlock)} one block)`,
    "—",
    "—",
    "$2.50 a day / $20",
  ]);
  const verdicts = runs.filter((f) => f.rollout).map((f) =>
    `${f.name.trim()}: ${f.rollout!.canary.completions} completions on the canary, ` +
    `${f.rollout!.control.completions} on the control; pressroom rollout says: ${f.rollout!.verdict.text}`
  );
  return [renderTable([head, ...cells]), ...verdicts].join("\n\n");
}
