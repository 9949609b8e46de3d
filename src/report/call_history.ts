/**
 * The recorded calls `project` re-prices: the successful calls of the window on the real API (or on
 * the simulated model when there are no real ones), each agent's mean output length per model, and
 * the cap days the data covers. SQL reads the rows; `daySpan` is pure.
 * @module
 */
import type { Db } from "../db/sqlite.ts";
import type { Backend } from "../ledger/ledger.ts";
import { dayKey } from "../ledger/period.ts";
import type { CallTokens } from "./reprice.ts";

export interface HistoryRow extends CallTokens {
  agent_id: string;
  cost: number;
}

export interface CallHistory {
  backend: Backend;
  rows: HistoryRow[];
  /** Mean output tokens per call of each model, for the agent, over all its calls on the backend. */
  meanOutput: Record<string, number>;
  /** The first call of the window, if any. */
  firstTs: number | undefined;
}

export function callHistory(db: Db, options: { since: number; agent: string }): CallHistory {
  const real = db.prepare("SELECT 1 FROM ai_call_log WHERE ts >= ? AND backend = 'anthropic' LIMIT 1")
    .get(options.since);
  const backend: Backend = real ? "anthropic" : "sim";
  const rows = db.prepare(
    `SELECT agent_id, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
            cache_read_tokens AS cacheReadTokens, cache_write_5m_tokens AS cacheWrite5mTokens,
            cache_write_1h_tokens AS cacheWrite1hTokens, web_search_requests AS webSearchRequests,
            inference_geo AS inferenceGeo, cost_nano_usd AS cost, ts
     FROM ai_call_log WHERE ts >= ? AND backend = ? AND status = 'ok'`,
  ).all(options.since, backend) as unknown as (HistoryRow & { ts: number })[];
  const meanOutput = Object.fromEntries(
    (db.prepare(
      `SELECT model, AVG(output_tokens) AS mean FROM ai_call_log
       WHERE agent_id = ? AND backend = ? AND status = 'ok' GROUP BY model`,
    ).all(options.agent, backend) as { model: string; mean: number }[]).map((r) => [r.model, r.mean]),
  );
  const firstTs = rows.reduce<number | undefined>(
    (min, r) => min === undefined || r.ts < min ? r.ts : min,
    undefined,
  );
  return { backend, rows, meanOutput, firstTs };
}

/**
 * Pure: the cap days from the one holding `firstTs` to the one holding `now`, both counted, at most
 * `maxDays`: what spend over that time is divided by to make a daily figure.
 */
export function daySpan(
  firstTs: number,
  now: number,
  timezone: string,
  maxDays: number,
): { days: number; from: string; to: string } {
  const from = dayKey(firstTs, timezone);
  const to = dayKey(now, timezone);
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
  return { days: Math.min(Math.max(1, days), maxDays), from, to };
}
