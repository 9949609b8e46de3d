/**
 * The figures of `pressroom report`, from the ledger alone, with real and
 * simulated rows kept apart. SQL reads the rows; the maths is in maths.ts.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import type { PriceBook } from "../models/price_book.ts";
import type { CapsConfig } from "../config/schema.ts";
import { allCapRules, globMatches } from "../ledger/caps.ts";
import { nanoToUsd } from "../pricing/money.ts";
import { dayKey } from "../ledger/period.ts";
import { overReservation } from "../ledger/anomalies.ts";
import type { Backend } from "../ledger/ledger.ts";
import { distribution, ratio, wilson } from "./maths.ts";

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
  /** The agent's model turns in each completed workflow (all its stages); n is the number of workflows. */
  turnsPerCompletion: { mean: number; n: number };
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
  agents: AgentModelFigures[];
  cache: {
    calls: number;
    /** Calls that read the cached stable blocks. */
    stableHitRate: number;
    /** Prompt tokens read from cache over all prompt tokens. */
    tokenHitRate: number;
    readSavedUsd: number;
    coldWritesAfterSwap: { agent: string; from: string; to: string; at: string; writeTokens: number }[];
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

export function buildReport(db: Db, options: ReportOptions): BackendReport[] {
  const backends = (db.prepare("SELECT DISTINCT backend FROM ai_call_log WHERE ts >= ? ORDER BY backend").all(
    options.since,
  ) as { backend: Backend }[]).map((r) => r.backend);
  return backends.map((backend) => forBackend(db, backend, options));
}

function forBackend(db: Db, backend: Backend, options: ReportOptions): BackendReport {
  // Days are cap days: midnight to midnight in the caps' time zone, as the caps themselves count them.
  const day = (ts: number) => dayKey(ts, options.caps.timezone);
  const agentFilter = options.agent ? " AND agent_id = ?" : "";
  const args = (...rest: (string | number)[]) => options.agent ? [...rest, options.agent] : rest;
  // Completed workflows: published in the window, with all their calls on this backend.
  const completed = db.prepare(
    `SELECT w.id, e.ts AS published, COALESCE(s.cost_nano_usd, 0) AS nano FROM workflow w
     JOIN workflow_event e ON e.workflow_instance_id = w.id AND e.kind = 'published'
     JOIN spend_workflow s ON s.workflow_instance_id = w.id AND s.backend = ?
     WHERE e.ts >= ?`,
  ).all(backend, options.since) as { id: string; published: number; nano: number }[];
  const ids = new Set(completed.map((c) => c.id));
  // What each agent cost in each completed workflow, all its calls (also those before the window).
  const costs = db.prepare(
    `SELECT workflow_instance_id AS id, agent_id AS agent, SUM(cost_nano_usd) AS nano FROM ai_call_log
     WHERE backend = ? AND workflow_instance_id IN
       (SELECT workflow_instance_id FROM workflow_event WHERE kind = 'published' AND ts >= ?)
     GROUP BY workflow_instance_id, agent_id`,
  ).all(backend, options.since) as { id: string; agent: string; nano: number }[];
  const { byAgent, totalNano, agentNano } = completionCosts(costs, ids, options.agent);
  // With --agent the figures per completion are that agent's own: the pipeline's would be another report's.
  const costOf = (c: { id: string; nano: number }) =>
    options.agent === undefined ? c.nano : agentNano.get(c.id) ?? 0;

  const rows = db.prepare(
    `SELECT id, agent_id, workflow_instance_id, model, input_tokens, output_tokens, cache_read_tokens,
            cache_write_tokens, cost_nano_usd, ts FROM ai_call_log WHERE ts >= ? AND backend = ?${agentFilter} ORDER BY ts, id`,
  ).all(...args(options.since, backend)) as {
    id: string;
    agent_id: string;
    workflow_instance_id: string;
    model: string;
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
    cache_write_tokens: number;
    cost_nano_usd: number;
    ts: number;
  }[];
  const tools = db.prepare(
    `SELECT t.agent_id, t.model, t.outcome, t.workflow_instance_id FROM tool_call t JOIN ai_call_log c ON c.id = t.call_id
     WHERE c.ts >= ? AND c.backend = ?${options.agent ? " AND t.agent_id = ?" : ""}`,
  ).all(...args(options.since, backend)) as {
    agent_id: string;
    model: string;
    outcome: string;
    workflow_instance_id: string;
  }[];

  // Figures per agent × model.
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.agent_id}\u0000${r.model}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const agents: AgentModelFigures[] = [...groups].map(([key, list]) => {
    const [agent, model] = key.split("\u0000");
    const calls = tools.filter((t) => t.agent_id === agent && t.model === model);
    const ok = calls.filter((t) => t.outcome === "ok").length;
    const count = (o: string) => calls.filter((t) => t.outcome === o).length;
    const failedInCompleted = calls.filter((t) =>
      t.outcome !== "ok" && ids.has(t.workflow_instance_id)
    ).length;
    const stages = new Map<string, number>();
    for (const r of list) {
      if (ids.has(r.workflow_instance_id)) {
        stages.set(
          r.workflow_instance_id,
          (stages.get(r.workflow_instance_id) ?? 0) + 1,
        );
      }
    }
    const cost = list.reduce((n, r) => n + r.cost_nano_usd, 0);
    return {
      agent,
      model,
      calls: list.length,
      costUsd: nanoToUsd(cost),
      costPerCallUsd: nanoToUsd(cost / list.length),
      inputTokens: list.reduce((n, r) => n + r.input_tokens + r.cache_read_tokens + r.cache_write_tokens, 0),
      outputTokens: list.reduce((n, r) => n + r.output_tokens, 0),
      toolCalls: calls.length,
      toolAccuracy: ratio(ok, calls.length),
      toolAccuracy95: wilson(ok, calls.length),
      failures: {
        wrong_tool: count("wrong_tool"),
        malformed_args: count("malformed_args"),
        logic_error: count("logic_error"),
      },
      retriesPerCompletion: ratio(failedInCompleted, ids.size),
      turnsPerCompletion: {
        mean: ratio([...stages.values()].reduce((a, b) => a + b, 0), stages.size),
        n: stages.size,
      },
    };
  });

  // Cache: hits on the stable blocks, tokens, dollars saved, cold writes after a swap.
  let saved = 0;
  for (const r of rows) {
    const priced = options.prices.lookup(r.model);
    if (priced) saved += r.cache_read_tokens * (priced.rates.input - priced.rates.cacheRead);
  }
  const read = rows.reduce((n, r) => n + r.cache_read_tokens, 0);
  const prompt = rows.reduce((n, r) => n + r.input_tokens + r.cache_read_tokens + r.cache_write_tokens, 0);
  const lastModel = new Map<string, string>();
  const coldWritesAfterSwap: BackendReport["cache"]["coldWritesAfterSwap"] = [];
  for (const r of rows) {
    const before = lastModel.get(r.agent_id);
    if (before && before !== r.model) {
      coldWritesAfterSwap.push({
        agent: r.agent_id,
        from: before,
        to: r.model,
        at: new Date(r.ts).toISOString(),
        writeTokens: r.cache_write_tokens,
      });
    }
    lastModel.set(r.agent_id, r.model);
  }

  // Caps per day: spend against each daily cap, refusals.
  const rules = allCapRules(options.caps).filter((r) => r.scope === "day");
  const days = new Map<string, { spend: number; byCap: Record<string, number> }>();
  for (const r of rows) {
    const d = days.get(day(r.ts)) ?? { spend: 0, byCap: {} };
    d.spend += r.cost_nano_usd;
    for (const rule of rules) {
      if (!rule.modelGlob || globMatches(rule.modelGlob, r.model)) {
        d.byCap[rule.name] = (d.byCap[rule.name] ?? 0) + r.cost_nano_usd;
      }
    }
    days.set(day(r.ts), d);
  }
  const refusals = db.prepare("SELECT ts FROM cap_refusal WHERE ts >= ? AND backend = ?").all(
    options.since,
    backend,
  ) as { ts: number }[];
  const refusalsByDay = new Map<string, number>();
  for (const r of refusals) refusalsByDay.set(day(r.ts), (refusalsByDay.get(day(r.ts)) ?? 0) + 1);

  const trend = new Map<string, number[]>();
  for (const c of completed) {
    trend.set(day(c.published), [...(trend.get(day(c.published)) ?? []), nanoToUsd(costOf(c))]);
  }

  return {
    backend,
    simulated: backend === "sim",
    completions: distribution(completed.map((c) => nanoToUsd(costOf(c)))),
    shareByAgent: [...byAgent].map(([agent, nano]) => ({
      agent,
      usd: nanoToUsd(nano),
      share: ratio(nano, totalNano),
    })),
    trendByDay: [...trend].sort().map(([d, costs]) => ({
      day: d,
      completions: costs.length,
      meanUsd: distribution(costs).meanUsd,
    })),
    agents,
    cache: {
      calls: rows.length,
      stableHitRate: ratio(rows.filter((r) => r.cache_read_tokens > 0).length, rows.length),
      tokenHitRate: ratio(read, prompt),
      readSavedUsd: nanoToUsd(saved),
      coldWritesAfterSwap,
    },
    caps: [...days].sort().map(([d, v]) => ({
      day: d,
      spendUsd: nanoToUsd(v.spend),
      byCap: Object.fromEntries(Object.entries(v.byCap).map(([k, n]) => [k, nanoToUsd(n)])),
      refusals: refusalsByDay.get(d) ?? 0,
      hitCap: (refusalsByDay.get(d) ?? 0) > 0,
    })),
    overReservedCalls: overReservation(db, { since: options.since, backend }).count,
  };
}

/**
 * Each agent's cost in the completed workflows (`ids`), against their whole cost; with `agent`, that agent
 * alone (at $0 if it cost nothing there) and its cost in each workflow. Pure.
 */
export function completionCosts(
  costs: { id: string; agent: string; nano: number }[],
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
    if (c.agent === agent) agentNano.set(c.id, c.nano);
  }
  const byAgent = agent === undefined ? all : new Map(ids.size ? [[agent, all.get(agent) ?? 0]] : []);
  return { byAgent, totalNano, agentNano };
}
