/**
 * The figures `demo` and `status` print: cost per completion, first-attempt
 * tool accuracy per agent and model, cache hit rate. Queries at the top, pure
 * maths below.
 * @module
 */
import type { Db } from "../db/sqlite.ts";

export interface Summary {
  completions: { count: number; meanUsd: number; p50Usd: number; p90Usd: number };
  toolAccuracy: {
    agent: string;
    model: string;
    calls: number;
    ok: number;
    rate: number;
    byOutcome: Record<string, number>;
  }[];
  cache: { readTokens: number; writeTokens: number; uncachedTokens: number; hitRate: number };
  simulated: boolean;
}

/** Figures over workflows created at or after `since` (epoch ms) and their calls. */
export function summarize(db: Db, since = 0): Summary {
  const costs = (db.prepare(
    `SELECT s.cost_nano_usd AS nano FROM workflow w JOIN spend_workflow s ON s.workflow_instance_id = w.id
     WHERE w.status = 'published' AND w.created_ts >= ?`,
  ).all(since) as { nano: number }[]).map((r) => r.nano / 1e9);
  const calls = db.prepare(
    `SELECT agent_id AS agent, model, outcome, COUNT(*) AS n FROM tool_call WHERE ts >= ?
     GROUP BY agent_id, model, outcome`,
  ).all(since) as { agent: string; model: string; outcome: string; n: number }[];
  const cache = db.prepare(
    `SELECT COALESCE(SUM(cache_read_tokens), 0) AS r, COALESCE(SUM(cache_write_tokens), 0) AS w,
            COALESCE(SUM(input_tokens), 0) AS i, COALESCE(MAX(backend = 'sim'), 0) AS sim
     FROM ai_call_log WHERE ts >= ?`,
  ).get(since) as { r: number; w: number; i: number; sim: number };
  return {
    completions: distribution(costs),
    toolAccuracy: accuracy(calls),
    cache: {
      readTokens: cache.r,
      writeTokens: cache.w,
      uncachedTokens: cache.i,
      hitRate: ratio(cache.r, cache.r + cache.w + cache.i),
    },
    simulated: cache.sim === 1,
  };
}

export function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function distribution(values: number[]): Summary["completions"] {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return {
    count: sorted.length,
    meanUsd: mean,
    p50Usd: percentile(sorted, 0.5),
    p90Usd: percentile(sorted, 0.9),
  };
}

export function accuracy(
  rows: { agent: string; model: string; outcome: string; n: number }[],
): Summary["toolAccuracy"] {
  const groups = new Map<string, Summary["toolAccuracy"][number]>();
  for (const row of rows) {
    const key = `${row.agent}\u0000${row.model}`;
    let g = groups.get(key);
    if (!g) {
      groups.set(key, g = { agent: row.agent, model: row.model, calls: 0, ok: 0, rate: 0, byOutcome: {} });
    }
    g.calls += row.n;
    if (row.outcome === "ok") g.ok += row.n;
    g.byOutcome[row.outcome] = (g.byOutcome[row.outcome] ?? 0) + row.n;
  }
  return [...groups.values()].map((g) => ({ ...g, rate: ratio(g.ok, g.calls) }));
}
