/**
 * The recorded calls `project` re-prices: the successful calls of the window on the real API (or on
 * the simulated model when there are no real ones), each agent's mean output length per model, and
 * the cap days the data covers. The rows come from queries.ts; `daySpan` is pure.
 * @module
 */
import type { Backend } from "../ledger/ledger.ts";
import { DAY_MS, dayKey } from "../ledger/period.ts";
import type { HistoryRow, ReportQueries } from "./queries.ts";

export interface CallHistory {
  backend: Backend;
  rows: HistoryRow[];
  /** Mean output tokens per call of each model, for the agent, over all its calls on the backend. */
  meanOutput: Record<string, number>;
  /** The first call of the window, if any. */
  firstTs: number | undefined;
}

export function callHistory(queries: ReportQueries, options: { since: number; agent: string }): CallHistory {
  const backend: Backend = queries.anyRealCall(options.since) ? "anthropic" : "sim";
  const rows = queries.okCalls(backend, options.since);
  const meanOutput = queries.meanOutput(options.agent, backend);
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
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  return { days: Math.min(Math.max(1, days), maxDays), from, to };
}
