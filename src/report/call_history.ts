/**
 * The recorded calls `project` re-prices: the successful calls of the window on the real API (or on
 * the simulated model when there are no real ones), each agent's mean output length per model, and
 * the cap days the data covers. The rows come from queries.ts, or from the shared ledger; `daySpan` is pure.
 * @module
 */
import type { Backend } from "../ledger/ledger.ts";
import { DAY_MS, dayKey } from "../ledger/period.ts";
import type { HistoryRow } from "./queries.ts";

export interface CallHistory {
  backend: Backend;
  rows: HistoryRow[];
  /** Mean output tokens per call of each model, for the agent, over all its calls on the backend. */
  meanOutput: Record<string, number>;
  /** The first call of the window, if any. */
  firstTs: number | undefined;
}

/**
 * Where the calls come from: the data folder's ledger (ReportQueries), or the shared ledger's, which holds
 * every machine's (SharedLedger), since the caps a swap is judged against count them all.
 */
export interface HistorySource {
  anyRealCall(since: number): boolean | Promise<boolean>;
  okCalls(backend: Backend, since: number): HistoryRow[] | Promise<HistoryRow[]>;
  meanOutput(agent: string, backend: Backend): Record<string, number> | Promise<Record<string, number>>;
}

export async function callHistory(
  queries: HistorySource,
  options: { since: number; agent: string },
): Promise<CallHistory> {
  const backend: Backend = await queries.anyRealCall(options.since) ? "anthropic" : "sim";
  const rows = await queries.okCalls(backend, options.since);
  const meanOutput = await queries.meanOutput(options.agent, backend);
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
