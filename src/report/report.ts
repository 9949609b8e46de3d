/**
 * The figures of `pressroom report`, from the ledger alone, with real and
 * simulated rows kept apart. SQL reads the rows; the maths is in maths.ts.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import type { PriceBook } from "../models/price_book.ts";
import type { CapsConfig } from "../config/schema.ts";
import { allCapRules, globMatches } from "../ledger/caps.ts";
import { nanoToUsd } from "../ledger/money.ts";
import { dayKey } from "../ledger/period.ts";
import { overReservation } from "../ledger/anomalies.ts";
import { distribution, ratio, wilson } from "./maths.ts";

export type Backend = "anthropic" | "sim";

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
  completions: { count: number; meanUsd: number; p50Usd: number; p90Usd: number };
  shareByAgent: { agent: string; usd: number; share: number }[];
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

  // Share by agent and figures per agent × model.
  const byAgent = new Map<string, number>();
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    if (ids.has(r.workflow_instance_id)) {
      byAgent.set(r.agent_id, (byAgent.get(r.agent_id) ?? 0) + r.cost_nano_usd);
    }
    const key = `${r.agent_id}\u0000${r.model}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const completedTotal = [...byAgent.values()].reduce((a, b) => a + b, 0);
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
    trend.set(day(c.published), [...(trend.get(day(c.published)) ?? []), c.nano / 1e9]);
  }

  return {
    backend,
    simulated: backend === "sim",
    completions: distribution(completed.map((c) => c.nano / 1e9)),
    shareByAgent: [...byAgent].map(([agent, nano]) => ({
      agent,
      usd: nanoToUsd(nano),
      share: ratio(nano, completedTotal),
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
