/**
 * `pressroom rollout`: a canary's two arms side by side, from the ledger, with the difference of each figure
 * and its 95 % interval (Newcombe for proportions, Welch for costs) and a verdict in plain words. Pure.
 *
 * The arms are the workflows created while the canary ran, each pinned to the arm it drew (canary_arm):
 * the same days, the same mix of topics, so the comparison is of the models and nothing else.
 * @module
 */
import { nanoToUsd } from "../pricing/money.ts";
import type { Backend } from "../ledger/ledger.ts";
import {
  type Difference,
  type Interval,
  meanVariance,
  newcombe,
  ratio,
  t975,
  welch,
  wilson,
} from "./maths.ts";

/** One workflow of an arm, as the ledger has it (queries.ts `rolloutWorkflows`). */
export interface ArmWorkflow {
  id: string;
  arm: "canary" | "control";
  model: string;
  published: boolean;
  /** All the workflow's calls, and the agent's. */
  workflowNano: number;
  agentNano: number;
  agentCalls: number;
  /** The agent's tool calls and those that succeeded: first-attempt accuracy (each failure is retried). */
  toolCalls: number;
  toolOk: number;
  /** Revisions the editor asked for and flags it raised in the workflow: what happened downstream. */
  revisions: number;
  flags: number;
}

export interface ArmFigures {
  arm: "canary" | "control";
  model: string;
  workflows: number;
  completions: number;
  agentCostPerCompletionUsd: number;
  workflowCostPerCompletionUsd: number;
  costPerCallUsd: number;
  toolAccuracy: { value: number; low: number; high: number; n: number };
  retriesPerCompletion: number;
  turnsPerCompletion: number;
  revisionsPerWorkflow: number;
  flagRate: { value: number; low: number; high: number; n: number };
}

export interface Verdict {
  kind: "not_enough_data" | "cheaper_no_worse" | "better_costs_more" | "worse" | "costs_more_no_better";
  text: string;
  /** With not_enough_data: about how many more workflows (both arms together) would settle it; null: no estimate yet. */
  moreWorkflows?: number | null;
}

export interface Rollout {
  agent: string;
  /** Whose calls the arms are: the real API's, or (when the agent has none there) the simulated model's. */
  backend: Backend;
  /** The canary's share of new workflows, as the latest arm recorded it. */
  share: number;
  canary: ArmFigures;
  control: ArmFigures;
  /** canary − control, with 95 % intervals. */
  difference: {
    agentCostPerCompletionUsd: Interval;
    workflowCostPerCompletionUsd: Interval;
    toolAccuracy: Difference;
    flagRate: Difference;
  };
  verdict: Verdict;
}

/** Where `rollout` reads an agent's arms from: a store's query (queries.ts `rolloutWorkflows`). */
export interface ArmSource {
  rolloutWorkflows(agent: string, backend: Backend): { share: number; rows: ArmWorkflow[] };
}

/**
 * An agent's latest canary from the ledger: on the real API when its arms have calls there, else on the
 * simulated model; undefined when the agent has had no canary with calls on either.
 */
export function rolloutFrom(source: ArmSource, agent: string, backend?: Backend): Rollout | undefined {
  for (const b of backend ? [backend] : (["anthropic", "sim"] as const)) {
    const { share, rows } = source.rolloutWorkflows(agent, b);
    if (rows.length) return rollout(agent, share, rows, b);
  }
  return undefined;
}

/** Completions each arm needs before any verdict but "not enough data". */
export const MIN_COMPLETIONS = 10;
/** How much lower the canary's tool accuracy may be and still count as no worse: the field report's half point. */
export const ACCURACY_MARGIN = 0.005;
/** And how far below the control the accuracy difference's 95 % interval may reach: two points. */
export const NON_INFERIORITY_MARGIN = 0.02;

function armFigures(arm: ArmFigures["arm"], rows: ArmWorkflow[], model: string): ArmFigures {
  const done = rows.filter((r) => r.published);
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
  const tools = sum(rows.map((r) => r.toolCalls));
  const ok = sum(rows.map((r) => r.toolOk));
  const flags = rows.filter((r) => r.flags > 0).length;
  return {
    arm,
    model,
    workflows: rows.length,
    completions: done.length,
    agentCostPerCompletionUsd: nanoToUsd(ratio(sum(done.map((r) => r.agentNano)), done.length)),
    workflowCostPerCompletionUsd: nanoToUsd(ratio(sum(done.map((r) => r.workflowNano)), done.length)),
    costPerCallUsd: nanoToUsd(ratio(sum(rows.map((r) => r.agentNano)), sum(rows.map((r) => r.agentCalls)))),
    toolAccuracy: { value: ratio(ok, tools), ...wilson(ok, tools), n: tools },
    retriesPerCompletion: ratio(sum(done.map((r) => r.toolCalls - r.toolOk)), done.length),
    turnsPerCompletion: ratio(sum(done.map((r) => r.agentCalls)), done.length),
    revisionsPerWorkflow: ratio(sum(rows.map((r) => r.revisions)), rows.length),
    flagRate: { value: ratio(flags, rows.length), ...wilson(flags, rows.length), n: rows.length },
  };
}

/** The two arms of one agent's canary, their differences and the verdict. */
export function rollout(
  agent: string,
  share: number,
  rows: ArmWorkflow[],
  backend: Backend = "anthropic",
): Rollout {
  const of = (arm: ArmFigures["arm"]) => rows.filter((r) => r.arm === arm);
  const modelOf = (arm: ArmFigures["arm"]) => of(arm)[0]?.model ?? "";
  const canary = armFigures("canary", of("canary"), modelOf("canary"));
  const control = armFigures("control", of("control"), modelOf("control"));
  const costs = (arm: ArmFigures["arm"], pick: (r: ArmWorkflow) => number) =>
    of(arm).filter((r) => r.published).map((r) => nanoToUsd(pick(r)));
  const difference = {
    agentCostPerCompletionUsd: welch(
      costs("canary", (r) => r.agentNano),
      costs("control", (r) => r.agentNano),
    ),
    workflowCostPerCompletionUsd: welch(
      costs("canary", (r) => r.workflowNano),
      costs("control", (r) => r.workflowNano),
    ),
    toolAccuracy: newcombe(
      canary.toolAccuracy.value * canary.toolAccuracy.n,
      canary.toolAccuracy.n,
      control.toolAccuracy.value * control.toolAccuracy.n,
      control.toolAccuracy.n,
    ),
    flagRate: newcombe(
      canary.flagRate.value * canary.flagRate.n,
      canary.flagRate.n,
      control.flagRate.value * control.flagRate.n,
      control.flagRate.n,
    ),
  };
  return {
    agent,
    backend,
    share,
    canary,
    control,
    difference,
    verdict: verdict({
      canary,
      control,
      difference,
      share,
      costs: [costs("canary", (r) => r.workflowNano), costs("control", (r) => r.workflowNano)],
    }),
  };
}

const usd = (x: number) => `$${Math.abs(x).toFixed(4)}`;
const points = (x: number) => `${(Math.abs(x) * 100).toFixed(1)} points`;

/**
 * The verdict, on the whole workflow's cost per completion (what the agent's model changes downstream
 * included) and the agent's first-attempt tool accuracy.
 */
function verdict(
  input: Pick<Rollout, "canary" | "control" | "difference" | "share"> & { costs: [number[], number[]] },
): Verdict {
  const { canary, control, difference, share } = input;
  const cost = difference.workflowCostPerCompletionUsd;
  const accuracy = difference.toolAccuracy;
  const settle = () => workflowsToSettle(input.costs, cost.estimate, share, canary, control);
  if (canary.completions < MIN_COMPLETIONS || control.completions < MIN_COMPLETIONS) {
    const more = settle();
    return {
      kind: "not_enough_data",
      text:
        `not enough data yet: ${canary.completions} completions on the canary and ${control.completions} ` +
        `on the control, ${MIN_COMPLETIONS} each at least; ${about(more)} would settle it`,
      moreWorkflows: more,
    };
  }
  const cheaper = cost.high !== null && cost.high < 0;
  const dearer = cost.low !== null && cost.low > 0;
  const worse = accuracy.high < 0;
  const better = accuracy.low > 0;
  if (worse) {
    return {
      kind: "worse",
      text: `the canary is worse: ${points(accuracy.estimate)} lower first-attempt tool accuracy ` +
        `(95 % interval ${points(accuracy.high)} to ${points(accuracy.low)} lower); stop it`,
    };
  }
  if (cheaper && !better) {
    // No worse: within half a point, and the interval no more than NON_INFERIORITY_MARGIN below.
    if (accuracy.estimate >= -ACCURACY_MARGIN && accuracy.low >= -NON_INFERIORITY_MARGIN) {
      return {
        kind: "cheaper_no_worse",
        text:
          `the canary is cheaper and no worse: ${usd(cost.estimate)} less per completion (95 % interval ` +
          `${usd(cost.high!)} to ${
            usd(cost.low!)
          }), tool accuracy within half a point (its interval reaches ` +
          `${points(accuracy.low)} ${accuracy.low < 0 ? "lower" : "higher"} at most); promote it`,
      };
    }
    const more = workflowsForAccuracy(canary, control, share);
    return {
      kind: "not_enough_data",
      text: `not enough data yet: the canary is ${usd(cost.estimate)} cheaper per completion, but its tool ` +
        `accuracy (${points(accuracy.estimate)} ${
          accuracy.estimate < 0 ? "lower" : "higher"
        }) could still be ` +
        `up to ${points(accuracy.low)} lower; ${about(more)} would tell whether it is worse`,
      moreWorkflows: more,
    };
  }
  if (better) {
    const retriesSaved = control.retriesPerCompletion - canary.retriesPerCompletion;
    const payback = cost.estimate > 0 && retriesSaved > 0
      ? `, which pays back if a retry costs more than ${usd(cost.estimate / retriesSaved)} ` +
        `(it saves ${retriesSaved.toFixed(2)} retries per completion)`
      : "";
    return {
      kind: "better_costs_more",
      text:
        `the canary is better (${points(accuracy.estimate)} higher first-attempt tool accuracy) and costs ` +
        `${usd(cost.estimate)} ${cost.estimate >= 0 ? "more" : "less"} per completion${payback}`,
    };
  }
  if (dearer) {
    return {
      kind: "costs_more_no_better",
      text: `the canary costs ${usd(cost.estimate)} more per completion and is no better; stop it`,
    };
  }
  const more = settle();
  return {
    kind: "not_enough_data",
    text:
      `not enough data yet: neither cost (${usd(cost.estimate)} ${cost.estimate <= 0 ? "less" : "more"} ` +
      `per completion) nor tool accuracy (${points(accuracy.estimate)} ` +
      `${accuracy.estimate >= 0 ? "higher" : "lower"}) differs beyond chance; ${
        about(more)
      } would settle the cost`,
    moreWorkflows: more,
  };
}

/** "about 40 more workflows", or that no number can be given yet (no spread, or no difference, to go by). */
const about = (more: number | null) =>
  more === null ? "no estimate yet of how many more workflows" : `about ${more} more workflows`;

/** n per arm for a 95 % interval of half-width `gap`, from the variances of one value of each arm. */
const perArmFor = (variances: number, gap: number) => Math.ceil((t975(Infinity) ** 2 * variances) / gap ** 2);

/** Workflows (both arms together, at the canary's share) that bring each arm to `perArm` units of `have`. */
function moreFor(
  perArm: number,
  have: [number, number],
  perWorkflow: [number, number],
  share: number,
): number {
  const needCanary = Math.max(0, perArm - have[0]) / Math.max(perWorkflow[0], 1e-9) / share;
  const needControl = Math.max(0, perArm - have[1]) / Math.max(perWorkflow[1], 1e-9) / (1 - share);
  // The intervals used are a little wider than these normal estimates: at least one more, never "0 more".
  return Math.max(1, Math.ceil(Math.max(needCanary, needControl)));
}

/**
 * About how many more workflows would bring the accuracy difference's interval above the non-inferiority
 * margin (or clear of zero, when the canary is ahead), were the accuracies what they are now:
 * n tool calls per arm = z²·(p₁q₁ + p₂q₂)/gap², at each arm's tool calls per workflow.
 */
function workflowsForAccuracy(canary: ArmFigures, control: ArmFigures, share: number): number | null {
  const p1 = canary.toolAccuracy.value;
  const p2 = control.toolAccuracy.value;
  const gap = p1 - p2 + NON_INFERIORITY_MARGIN;
  if (gap <= 0 || !canary.workflows || !control.workflows || share <= 0 || share >= 1) return null;
  const tools = perArmFor(p1 * (1 - p1) + p2 * (1 - p2), gap);
  const perWorkflow = (a: ArmFigures) => a.toolAccuracy.n / a.workflows;
  return moreFor(tools, [canary.toolAccuracy.n, control.toolAccuracy.n], [
    perWorkflow(canary),
    perWorkflow(control),
  ], share);
}

/**
 * About how many more workflows would bring the cost difference's 95 % interval clear of zero, were the
 * difference and spread what they are now: n per arm = t²·(s₁² + s₂²)/d², drawn at the canary's share.
 * Null when there is nothing to go by: no spread yet, no difference, or no share.
 */
function workflowsToSettle(
  [a, b]: [number[], number[]],
  difference: number,
  share: number,
  canary: ArmFigures,
  control: ArmFigures,
): number | null {
  if (share <= 0 || share >= 1) return null;
  const x = meanVariance(a);
  const y = meanVariance(b);
  const completionRate =
    ratio(canary.completions + control.completions, canary.workflows + control.workflows) ||
    1;
  let perArm = MIN_COMPLETIONS;
  if (x.n > 1 && y.n > 1) {
    if (difference === 0) return null;
    perArm = Math.max(perArm, perArmFor(x.variance + y.variance, difference));
  }
  return moreFor(perArm, [canary.completions, control.completions], [completionRate, completionRate], share);
}
