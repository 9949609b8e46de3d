/**
 * The reference workload: the demo's five topics, 60 workflows, a fixed seed and fixed workflow ids, on the
 * simulated model. Its figures, under the field report's three model mixes, are what the simulated profiles
 * are calibrated to (src/sim/profiles.ts), and the cost bench runs the same work.
 * @module
 */
import { AGENT_IDS, type AgentId } from "../src/config/schema.ts";
import { DEMO_REQUESTS } from "../src/cli/demo.ts";
import { type PipelineRun, runPipeline } from "./sim_pipeline.ts";

export const REFERENCE_WORKFLOWS = 60;
export const REFERENCE_SEED = 7;
export const SONNET = "claude-sonnet-4-6";
export const OPUS = "claude-opus-4-7";

/** The field report's three stacks: all Sonnet 4.6, all Opus 4.7, and its steady state. */
export const MIXES: Record<"sonnet" | "opus" | "steady", Record<AgentId, string>> = {
  sonnet: Object.fromEntries(AGENT_IDS.map((a) => [a, SONNET])) as Record<AgentId, string>,
  opus: Object.fromEntries(AGENT_IDS.map((a) => [a, OPUS])) as Record<AgentId, string>,
  steady: {
    intake: OPUS,
    planner: OPUS,
    researcher: OPUS,
    writer: OPUS,
    editor: SONNET,
    publisher: SONNET,
  },
};
export type Mix = keyof typeof MIXES;

/** The field report's figures (../shared/seed/), each beside the sentence it comes from. */
export const FIELD_REPORT = {
  sonnet: {
    // "The Sonnet 4.6 baseline across 41 workflow completions … Average total per completion: $0.061."
    costPerCompletionUsd: 0.061,
    // "Writer went from $0.0248 to $0.0894 per call".
    writerCostPerCallUsd: 0.0248,
    // "a retry on Sonnet 4.6 costs roughly $0.014 (one researcher-class call)".
    researcherCostPerCallUsd: 0.014,
    // "81.3% on first attempt … wrong tool selected (6%), malformed args (9%), … logically incorrect (3.7%)".
    toolAccuracy: 0.813,
    failures: { wrong_tool: 0.06, malformed_args: 0.09, logic_error: 0.037 },
    // "Sonnet 4.6 accuracy: 96.1%" (the editor).
    editorAccuracy: 0.961,
    // "Sonnet 4.6 required an average of 11.3 turns to complete an 8-turn loop".
    intakeTurnsPerCompletion: 11.3,
  },
  opus: {
    // "Opus 4.7 on the same workload profile … Average total per completion: $0.243."
    costPerCompletionUsd: 0.243,
    writerCostPerCallUsd: 0.0894,
    // "A retry on Opus 4.7 costs roughly $0.052."
    researcherCostPerCallUsd: 0.052,
    // "93.7% first-attempt accuracy … (down to 0.8%). Malformed args dropped to 3.1% … dropped to 2.4%."
    toolAccuracy: 0.937,
    failures: { wrong_tool: 0.008, malformed_args: 0.031, logic_error: 0.024 },
    // "Opus 4.7: 96.4%."
    editorAccuracy: 0.964,
    // "Opus 4.7 completes the same loop in 8.4 turns on average."
    intakeTurnsPerCompletion: 8.4,
  },
  steady: {
    // "The final steady-state cost per completion: $0.187."
    costPerCompletionUsd: 0.187,
  },
  // "1,400 extra output tokens that Opus produces before it's done" (per writer call).
  writerExtraOutputTokensOpus: 1400,
  // "My data shows it prevents an average of 2.1 retries per completion."
  retriesPreventedByOpus: 2.1,
  // "Cache hit rate on the stable block before segmentation: 73% across all agents. After segmentation: 89%."
  stableHitOneBlock: 0.73,
  stableHitSegmented: 0.89,
} as const;

/** The band each figure must land in, relative to the field report's. */
export const BAND = 0.1;

/**
 * The report's figures the reference workload shows but does not hold, each with why: together with the
 * figures that are held, the report's own numbers cannot all be true of one pipeline at today's prices.
 */
export const NOT_PINNED: Record<string, string> = {
  "sonnet: costPerCompletionUsd":
    "the report's Sonnet writer call alone is $0.0248, and a completion takes at least one writer call, " +
    "eight intake turns (11.3 by its count), a plan, research, a review and metadata: with its accuracy " +
    "that is about $0.12, not $0.061; the per-call figure and the accuracy are kept",
  "opus: writerCostPerCallUsd":
    "$0.0894 − $0.0248 = $0.0646 for 1,400 more output tokens is $46 per million, while Opus 4.7 bills " +
    "output at $25: the token gap and the Sonnet call are kept, and the Opus call follows (about $0.08)",
  "sonnet: researcherCostPerCallUsd":
    "the report prices a retry as 'roughly one researcher-class call'; at $0.014 a call beside the writer's " +
    "$0.0248, the Sonnet total would be further still from $0.061, so the call price follows the work",
  "opus: researcherCostPerCallUsd":
    "at $0.052 a call, research (1.4 calls) plus writing (1.4 calls at $0.0894) plus 8.4 intake turns " +
    "already pass the report's $0.243 before the planner, editor and publisher: the total is kept",
  "report stack, one block: stableHitRate":
    "with the volatile block inside the one cached block, a call hits only after the first call of its " +
    "stage (the block is the workflow's own): 73 % would take about 3.7 calls a stage, where the report's " +
    "own turn counts (8.4 intake turns, one decision each for the planner, editor and publisher) and its " +
    "costs give about 2.6; the turn counts and costs are kept",
  "sonnet − opus: retries per completion":
    "follows from the accuracy figures held: 18.7 % against 6.3 % of the tool calls a completion makes " +
    "(about 25 on Sonnet) is about 3 failed calls; 2.1 would need fewer calls than the tool contract takes",
};

/** One figure of the reference workload beside the field report's. */
export interface Check {
  figure: string;
  expected: number;
  measured: number;
  /** How far `measured` may be from `expected`: the band, or two standard errors where sampling is wider. */
  tolerance: number;
  /** Why the figure is shown but not held (NOT_PINNED); absent when it is held. */
  notPinned?: string;
  digits: number;
}

/**
 * Two standard errors of a share `p` measured over `n` calls: the band for a share smaller than the
 * sampling noise of the reference workload (wrong tool at 0.8 % over ~1,100 calls moves by ±0.5 point).
 */
export function twoSe(p: number, n: number): number {
  return 2 * Math.sqrt((p * (1 - p)) / Math.max(1, n));
}

/** Every figure the report gives, measured under its three stacks, with its band. */
export function calibrationChecks(measured: Record<Mix, ReferenceFigures>): Check[] {
  const checks: Check[] = [];
  const add = (
    figure: string,
    expected: number,
    got: number,
    options: { calls?: number; digits?: number },
  ) => {
    const band = BAND * expected;
    const tolerance = options.calls === undefined ? band : Math.max(band, twoSe(expected, options.calls));
    const notPinned = NOT_PINNED[figure];
    checks.push({ figure, expected, measured: got, tolerance, digits: options.digits ?? 4, notPinned });
  };
  for (const mix of ["sonnet", "opus"] as const) {
    const report = FIELD_REPORT[mix];
    const m = measured[mix];
    add(`${mix}: costPerCompletionUsd`, report.costPerCompletionUsd, m.costPerCompletionUsd, {});
    add(`${mix}: writerCostPerCallUsd`, report.writerCostPerCallUsd, m.writerCostPerCallUsd, {});
    add(`${mix}: researcherCostPerCallUsd`, report.researcherCostPerCallUsd, m.researcherCostPerCallUsd, {});
    add(`${mix}: toolAccuracy`, report.toolAccuracy, m.toolAccuracy, { calls: m.toolCalls });
    for (const kind of ["wrong_tool", "malformed_args", "logic_error"] as const) {
      add(`${mix}: failures.${kind}`, report.failures[kind], m.failures[kind], { calls: m.toolCalls });
    }
    add(`${mix}: editorAccuracy`, report.editorAccuracy, m.editorAccuracy, { calls: m.editorToolCalls });
    add(`${mix}: intakeTurnsPerCompletion`, report.intakeTurnsPerCompletion, m.intakeTurnsPerCompletion, {
      digits: 1,
    });
  }
  add(
    "steady: costPerCompletionUsd",
    FIELD_REPORT.steady.costPerCompletionUsd,
    measured.steady.costPerCompletionUsd,
    {},
  );
  add(
    "opus − sonnet: writer output tokens per call",
    FIELD_REPORT.writerExtraOutputTokensOpus,
    measured.opus.writerOutputTokensPerCall - measured.sonnet.writerOutputTokensPerCall,
    { digits: 0 },
  );
  add(
    "sonnet − opus: retries per completion",
    FIELD_REPORT.retriesPreventedByOpus,
    measured.sonnet.retriesPerCompletion - measured.opus.retriesPerCompletion,
    { digits: 1 },
  );
  return checks;
}

/**
 * The report's stable-block hit rates beside the same stack's over the reference day (tests/bench/cost_bench.ts):
 * segmented (one cached stable block) and before segmentation (one cached block holding the volatile one).
 */
export function stableHitChecks(measured: { segmented: number; oneBlock: number }): Check[] {
  const check = (figure: string, expected: number, got: number): Check => ({
    figure,
    expected,
    measured: got,
    tolerance: BAND * expected,
    digits: 3,
    notPinned: NOT_PINNED[figure],
  });
  return [
    check("report stack, segmented: stableHitRate", FIELD_REPORT.stableHitSegmented, measured.segmented),
    check("report stack, one block: stableHitRate", FIELD_REPORT.stableHitOneBlock, measured.oneBlock),
  ];
}

/** The reference workload under each of the report's three stacks. */
export async function referenceMixes(): Promise<Record<Mix, ReferenceFigures>> {
  return {
    sonnet: await referenceRun(MIXES.sonnet),
    opus: await referenceRun(MIXES.opus),
    steady: await referenceRun(MIXES.steady),
  };
}

/** What the reference workload measures, per figure, to set beside the field report's. */
export interface ReferenceFigures {
  costPerCompletionUsd: number;
  writerCostPerCallUsd: number;
  /** "A retry costs roughly one researcher-class call". */
  researcherCostPerCallUsd: number;
  /** First-attempt tool accuracy over every tool call, and the share of each failure kind. */
  toolAccuracy: number;
  failures: { wrong_tool: number; malformed_args: number; logic_error: number };
  /** The tool calls the shares are taken over. */
  toolCalls: number;
  editorAccuracy: number;
  editorToolCalls: number;
  intakeTurnsPerCompletion: number;
  retriesPerCompletion: number;
  writerOutputTokensPerCall: number;
  stableHitRate: number;
  completions: number;
}

/** The reference workload under `mix`; `run` adds to or overrides the pipeline's options. */
export async function referenceRun(
  mix: Record<AgentId, string>,
  run: Partial<PipelineRun> & { config?: Record<string, unknown> } = {},
): Promise<ReferenceFigures> {
  const { config = {}, ...rest } = run;
  const agents = (config.agents ?? {}) as Record<string, object>;
  const r = await runPipeline({
    workflows: REFERENCE_WORKFLOWS,
    seed: REFERENCE_SEED,
    topics: DEMO_REQUESTS.map((d) => d.topic),
    fixedIds: true,
    ...rest,
    config: {
      caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
      ...config,
      agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { model: mix[a], ...agents[a] }])),
    },
  });
  const rows = r.report.agents;
  const of = (agent: string) => rows.filter((x) => x.agent === agent);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const toolCalls = sum(rows.map((x) => x.toolCalls));
  const perCall = (agent: string) =>
    sum(of(agent).map((x) => x.costUsd)) / sum(of(agent).map((x) => x.calls));
  const failure = (kind: keyof ReferenceFigures["failures"]) =>
    sum(rows.map((x) => x.failures[kind])) / toolCalls;
  const editor = of("editor");
  const writer = of("writer");
  return {
    completions: r.report.completions.count,
    costPerCompletionUsd: r.report.completions.meanUsd,
    writerCostPerCallUsd: perCall("writer"),
    researcherCostPerCallUsd: perCall("researcher"),
    toolAccuracy: sum(rows.map((x) => x.toolAccuracy * x.toolCalls)) / toolCalls,
    failures: {
      wrong_tool: failure("wrong_tool"),
      malformed_args: failure("malformed_args"),
      logic_error: failure("logic_error"),
    },
    toolCalls,
    editorAccuracy: sum(editor.map((x) => x.toolAccuracy * x.toolCalls)) /
      sum(editor.map((x) => x.toolCalls)),
    editorToolCalls: sum(editor.map((x) => x.toolCalls)),
    intakeTurnsPerCompletion: of("intake")[0]?.turnsPerCompletion.mean ?? 0,
    retriesPerCompletion: sum(rows.map((x) => x.retriesPerCompletion)),
    writerOutputTokensPerCall: sum(writer.map((x) => x.outputTokens)) / sum(writer.map((x) => x.calls)),
    stableHitRate: r.report.cache.stableHitRate,
  };
}
