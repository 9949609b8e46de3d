/**
 * The figures of `pressroom report`, from the ledger alone, with real and
 * simulated rows kept apart. queries.ts reads the rows; the figures here and
 * in maths.ts are pure.
 * @module
 */
import type { PriceBook } from "../models/price_book.ts";
import type { CapsConfig } from "../config/schema.ts";
import { allCapRules, globMatches } from "../ledger/caps.ts";
import type { Backend } from "../ledger/ledger.ts";
import { nanoToUsd } from "../pricing/money.ts";
import type { ModelRates } from "../pricing/cost.ts";
import { dayKey } from "../ledger/period.ts";
import { distribution, groupBy, ratio, wilson } from "./maths.ts";
import { type CitationFigures, citationFigures } from "./citations.ts";
import { histogram, type HistogramBin, type ModelMix, modelMixes } from "./mixes.ts";
import { type MissFigures, missFigures, type TtlFigures, ttlFigures, writeNano } from "./cache_ttls.ts";
import type { AgentCost, CallRow, Completion, ReportQueries, ToolOutcome } from "./queries.ts";

export interface AgentModelFigures {
  agent: string;
  model: string;
  calls: number;
  costUsd: number;
  costPerCallUsd: number;
  inputTokens: number;
  outputTokens: number;
  toolCalls: number;
  toolAccuracy: number;
  toolAccuracy95: { low: number; high: number };
  failures: { wrong_tool: number; malformed_args: number; logic_error: number };
  /** Failed tool calls (each one retried) per completed workflow. */
  retriesPerCompletion: number;
  /** The share of calls sent in Message Batches, and what batch prices saved against standard ones. */
  batch: { share: number; savedUsd: number };
  /** The agent's model turns in each completed workflow (all its stages); n is the number of workflows. */
  turnsPerCompletion: { mean: number; n: number };
  /** What its cache reads saved against the input price. */
  cacheSavedUsd: number;
}

export interface BackendReport {
  backend: Backend;
  simulated: boolean;
  /** Cost per completed workflow: all its calls, or with `--agent` that agent's calls only. */
  completions: { count: number; meanUsd: number; p50Usd: number; p90Usd: number };
  /** Each agent's cost in the completed workflows and its share of their whole cost (with `--agent`: its own). */
  shareByAgent: { agent: string; usd: number; share: number }[];
  /** Completions per day, and their mean cost as `completions` counts it. */
  trendByDay: { day: string; completions: number; meanUsd: number }[];
  /** How many completions cost how much: equal-width bins. */
  completionHistogram: HistogramBin[];
  /** Cost per completion for each mix of models, and each agent's share of it. */
  modelMixes: ModelMix[];
  /** Citations per completion by provenance, per citing agent and model. */
  citations: CitationFigures[];
  agents: AgentModelFigures[];
  cache: {
    calls: number;
    /** Calls that read the cached stable blocks. */
    stableHitRate: number;
    /** Prompt tokens read from cache over all prompt tokens. */
    tokenHitRate: number;
    readSavedUsd: number;
    coldWritesAfterSwap: {
      agent: string;
      from: string;
      to: string;
      at: string;
      writeTokens: number;
      writeUsd: number;
      /** What the API's cache diagnostics said of the call (model_changed), when asked. */
      reason: string | null;
    }[];
    /** The TTLs each agent's breakpoints used and what the choice saved against fixed 5m and fixed 1h. */
    ttls: TtlFigures[];
    /** Calls whose cache diagnostics named a reason, per agent, model and reason. */
    misses: MissFigures[];
  };
  caps: { day: string; spendUsd: number; byCap: Record<string, number>; refusals: number; hitCap: boolean }[];
  /** Calls booked above their reservation: usage the API cannot send (a proxy in between?). */
  overReservedCalls: number;
}

export interface ReportOptions {
  since: number;
  agent?: string;
  prices: PriceBook;
  caps: CapsConfig;
}

/** One report per backend with calls since `options.since`. A bare handle is read through ReportQueries. */
export function buildReport(queries: ReportQueries, options: ReportOptions): BackendReport[] {
  return queries.backends(options.since).map((backend) => forBackend(queries, backend, options));
}

function forBackend(queries: ReportQueries, backend: Backend, options: ReportOptions): BackendReport {
  const { since, agent } = options;
  // Completed workflows: published in the window, with all their calls on this backend.
  const completed = queries.completions(backend, since);
  const ids = new Set(completed.map((c) => c.id));
  const costs = queries.completionCosts(backend, since);
  const { byAgent, totalNano, agentNano } = completionCosts(
    costs,
    ids,
    agent,
  );
  // With --agent the figures per completion are that agent's own: the pipeline's would be another report's.
  const costUsd = (c: Completion) => nanoToUsd(agent === undefined ? c.nano : agentNano.get(c.id) ?? 0);
  const calls = queries.calls(backend, { since, agent });
  return {
    backend,
    simulated: backend === "sim",
    completions: distribution(completed.map(costUsd)),
    shareByAgent: [...byAgent].map(([agent, nano]) => ({
      agent,
      usd: nanoToUsd(nano),
      share: ratio(nano, totalNano),
    })),
    trendByDay: trendByDay(completed, costUsd, options.caps.timezone),
    completionHistogram: histogram(completed.map(costUsd)),
    modelMixes: modelMixes(costs, ids),
    citations: citationFigures(queries.completedContent(backend, since)),
    agents: agentModelFigures(calls, queries.toolOutcomes(backend, { since, agent }), ids, options.prices),
    cache: cacheFigures(calls, options.prices, queries.canaryArmKeys()),
    caps: capDays(calls, queries.refusals(backend, since), options.caps),
    overReservedCalls: queries.overReserved(backend, since),
  };
}

/** Completions per cap day and their mean cost (`costUsd` of each), days in order. Pure. */
export function trendByDay(
  completed: Completion[],
  costUsd: (c: Completion) => number,
  timezone: string,
): BackendReport["trendByDay"] {
  const trend = new Map<string, number[]>();
  for (const c of completed) {
    const day = dayKey(c.published, timezone);
    trend.set(day, [...(trend.get(day) ?? []), costUsd(c)]);
  }
  return [...trend].sort().map(([day, costs]) => ({
    day,
    completions: costs.length,
    meanUsd: distribution(costs).meanUsd,
  }));
}

/** The figures of each agent × model pair, in the order of their first calls. Pure. */
export function agentModelFigures(
  calls: CallRow[],
  tools: ToolOutcome[],
  completed: Set<string>,
  prices: PriceBook,
): AgentModelFigures[] {
  const pairs = groupBy(calls, (c) => `${c.agent}\u0000${c.model}`);
  return [...pairs].map(([key, list]) => {
    const [agent, model] = key.split("\u0000");
    const own = tools.filter((t) => t.agent === agent && t.model === model);
    return pairFigures({ agent, model, calls: list, tools: own, completed, priced: prices.lookup(model) });
  });
}

/** One agent on one model: calls, cost, tokens, tool accuracy, and retries and turns per completion. Pure. */
function pairFigures({ agent, model, calls, tools, completed, priced }: {
  agent: string;
  model: string;
  calls: CallRow[];
  tools: ToolOutcome[];
  /** The ids of the completed workflows. */
  completed: Set<string>;
  priced: ModelRates | undefined;
}): AgentModelFigures {
  const ok = tools.filter((t) => t.outcome === "ok").length;
  const count = (outcome: string) => tools.filter((t) => t.outcome === outcome).length;
  const failedInCompleted = tools.filter((t) => t.outcome !== "ok" && completed.has(t.workflowId)).length;
  const turns = new Map<string, number>();
  for (const c of calls) {
    if (completed.has(c.workflowId)) turns.set(c.workflowId, (turns.get(c.workflowId) ?? 0) + 1);
  }
  const cost = sum(calls, (c) => c.costNano);
  return {
    agent,
    model,
    calls: calls.length,
    costUsd: nanoToUsd(cost),
    costPerCallUsd: nanoToUsd(cost / calls.length),
    inputTokens: sum(calls, promptTokens),
    outputTokens: sum(calls, (c) => c.outputTokens),
    toolCalls: tools.length,
    toolAccuracy: ratio(ok, tools.length),
    toolAccuracy95: wilson(ok, tools.length),
    failures: {
      wrong_tool: count("wrong_tool"),
      malformed_args: count("malformed_args"),
      logic_error: count("logic_error"),
    },
    retriesPerCompletion: ratio(failedInCompleted, completed.size),
    batch: {
      share: ratio(calls.filter((c) => c.batch).length, calls.length),
      savedUsd: nanoToUsd(priced ? sum(calls.filter((c) => c.batch), (c) => batchSavedNano(c, priced)) : 0),
    },
    turnsPerCompletion: { mean: ratio(sum([...turns.values()], (n) => n), turns.size), n: turns.size },
    cacheSavedUsd: nanoToUsd(priced ? sum(calls, (c) => readSavedNano(c, priced)) : 0),
  };
}

/**
 * What a batch call would have cost more at standard prices: the discount applies to its token part (its
 * cost less web searches), so standard = token part × 100 / (100 − discount). Pure.
 */
export function batchSavedNano(
  call: Pick<CallRow, "costNano" | "webSearchRequests">,
  priced: ModelRates,
): number {
  const tokens = Math.max(0, call.costNano - call.webSearchRequests * priced.webSearchNano);
  const kept = 100 - priced.batchDiscountPercent;
  return kept > 0 ? Math.round((tokens * 100) / kept) - tokens : 0;
}

/** Cache: hits on the stable blocks, tokens, dollars the reads saved, cold writes after a swap. Pure. */
export function cacheFigures(
  calls: CallRow[],
  prices: PriceBook,
  /** `${workflow}\u0000${agent}` of the canary arms: their calls alternate models by design, no swap. */
  canaryArms: Set<string> = new Set(),
): BackendReport["cache"] {
  let saved = 0;
  for (const c of calls) {
    const priced = prices.lookup(c.model);
    if (priced) saved += readSavedNano(c, priced);
  }
  return {
    calls: calls.length,
    stableHitRate: ratio(calls.filter((c) => c.cacheReadTokens > 0).length, calls.length),
    tokenHitRate: ratio(sum(calls, (c) => c.cacheReadTokens), sum(calls, promptTokens)),
    readSavedUsd: nanoToUsd(saved),
    coldWritesAfterSwap: coldWritesAfterSwap(
      calls.filter((c) => !canaryArms.has(`${c.workflowId}\u0000${c.agent}`)),
      prices,
    ),
    ttls: ttlFigures(calls, prices),
    misses: missFigures(calls, prices, canaryArms),
  };
}

/** What a call's cache reads saved against the input price. */
const readSavedNano = (c: CallRow, priced: ModelRates) =>
  c.cacheReadTokens * (priced.rates.input - priced.rates.cacheRead);

/** The first call of an agent on another model than its call before: the cache it writes starts cold. */
function coldWritesAfterSwap(
  calls: CallRow[],
  prices: PriceBook,
): BackendReport["cache"]["coldWritesAfterSwap"] {
  const priced = (model: string) => prices.lookup(model)?.rates;
  const lastModel = new Map<string, string>();
  const swaps: BackendReport["cache"]["coldWritesAfterSwap"] = [];
  for (const c of calls) {
    const before = lastModel.get(c.agent);
    if (before && before !== c.model) {
      swaps.push({
        agent: c.agent,
        from: before,
        to: c.model,
        at: new Date(c.ts).toISOString(),
        writeTokens: c.cacheWriteTokens,
        writeUsd: nanoToUsd(priced(c.model) ? writeNano(c, priced(c.model)!) : 0),
        reason: c.cacheMissReason,
      });
    }
    lastModel.set(c.agent, c.model);
  }
  return swaps;
}

/**
 * Spend per cap day against each daily cap, and the refusals (their times) of each day. Days are cap
 * days: midnight to midnight in the caps' time zone, as the caps themselves count them. Pure.
 */
export function capDays(calls: CallRow[], refusals: number[], caps: CapsConfig): BackendReport["caps"] {
  const day = (ts: number) => dayKey(ts, caps.timezone);
  const rules = allCapRules(caps).filter((r) => r.scope === "day");
  const days = new Map<string, { spend: number; byCap: Record<string, number> }>();
  for (const c of calls) {
    const d = days.get(day(c.ts)) ?? { spend: 0, byCap: {} };
    d.spend += c.costNano;
    for (const rule of rules) {
      if (!rule.modelGlob || globMatches(rule.modelGlob, c.model)) {
        d.byCap[rule.name] = (d.byCap[rule.name] ?? 0) + c.costNano;
      }
    }
    days.set(day(c.ts), d);
  }
  const refusalsByDay = new Map<string, number>();
  for (const ts of refusals) refusalsByDay.set(day(ts), (refusalsByDay.get(day(ts)) ?? 0) + 1);
  return [...days].sort().map(([d, v]) => ({
    day: d,
    spendUsd: nanoToUsd(v.spend),
    byCap: Object.fromEntries(Object.entries(v.byCap).map(([k, n]) => [k, nanoToUsd(n)])),
    refusals: refusalsByDay.get(d) ?? 0,
    hitCap: (refusalsByDay.get(d) ?? 0) > 0,
  }));
}

/** A call's prompt tokens: uncached input, cache reads and cache writes. */
const promptTokens = (c: CallRow) => c.inputTokens + c.cacheReadTokens + c.cacheWriteTokens;

const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((n, item) => n + of(item), 0);

/**
 * Each agent's cost in the completed workflows (`ids`), against their whole cost; with `agent`, that agent
 * alone (at $0 if it cost nothing there) and its cost in each workflow. Pure.
 */
export function completionCosts(
  costs: AgentCost[],
  ids: Set<string>,
  agent?: string,
): { byAgent: Map<string, number>; totalNano: number; agentNano: Map<string, number> } {
  const all = new Map<string, number>();
  const agentNano = new Map<string, number>();
  let totalNano = 0;
  for (const c of costs) {
    if (!ids.has(c.id)) continue;
    all.set(c.agent, (all.get(c.agent) ?? 0) + c.nano);
    totalNano += c.nano;
    // A workflow re-pinned mid-way has a row per model: the agent's cost is their sum.
    if (c.agent === agent) agentNano.set(c.id, (agentNano.get(c.id) ?? 0) + c.nano);
  }
  const byAgent = agent === undefined ? all : new Map(ids.size ? [[agent, all.get(agent) ?? 0]] : []);
  return { byAgent, totalNano, agentNano };
}
