/**
 * Report maths, pure: intervals, durations, projections. No I/O.
 * @module
 */
import { UsageError } from "../errors.ts";

/** The 95 % Wilson score interval of `ok` successes in `n` trials. */
export function wilson(ok: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = ok / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p) + z2 / (4 * n)) / n);
  const denominator = 1 + z2 / n;
  return {
    low: Math.max(0, (centre - margin) / denominator),
    high: Math.min(1, (centre + margin) / denominator),
  };
}

/** A window given as a duration back from now: `7d`, `24h`, `90m`. */
const RELATIVE = /^(\d+)([dhm])$/;

/** `7d`, `24h`, `90m` or an ISO date: the start of the window, in epoch ms. `flag` names it in an error. */
export function parseSince(text: string, now: number, flag = "--since"): number {
  const relative = RELATIVE.exec(text.trim());
  if (relative) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as "d" | "h" | "m"];
    return now - Number(relative[1]) * unit;
  }
  const date = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(date)) return date;
  throw new UsageError(`${flag}: "${text}" is not a duration like 7d, 24h, 90m or a date like 2026-11-01`);
}

/** How a report names its window: `last 7d` for a duration, `since 2026-11-30` for a date. */
export function sinceLabel(text: string): string {
  return RELATIVE.test(text.trim()) ? `last ${text.trim()}` : `since ${text.trim()}`;
}

export interface ProjectionInput {
  /** Days of history the figures cover. */
  days: number;
  /** The agent's cost over those days as billed, and re-priced at the new model (nano-USD). */
  agentNowNano: number;
  agentThenNano: number;
  /** Everything else's cost over those days, per model. */
  othersByModel: Record<string, number>;
  currentModel: string;
  newModel: string;
  pool: number;
  caps: { name: string; limitNano: number; matches: (model: string) => boolean }[];
}

export interface CapProjection {
  cap: string;
  limitNano: number;
  projectedDailyNano: number;
  fits: boolean;
  /** How far over (positive) or under (negative) the cap the projection is. */
  overNano: number;
}

export interface Projection {
  dailyNano: number;
  /** The agent's daily spend now, and on the new model. */
  agentDailyNowNano: number;
  agentDailyNano: number;
  caps: CapProjection[];
  fits: boolean;
  /** The largest pool (≤ the current one) at which every cap fits, or null if none does. */
  poolThatFits: number | null;
}

/**
 * Daily spend if the agent ran on the new model, checked against every daily
 * cap. The agent's spend is taken to scale with its pool size (how many
 * workflows it works on at once bounds how fast it spends).
 */
export function project(input: ProjectionInput): Projection {
  const perDay = (nano: number) => nano / input.days;
  const capsAt = (pool: number): CapProjection[] =>
    input.caps.map((cap) => {
      const agent = cap.matches(input.newModel) ? perDay(input.agentThenNano) * pool / input.pool : 0;
      const others = Object.entries(input.othersByModel).filter(([m]) => cap.matches(m)).reduce(
        (n, [, v]) => n + perDay(v),
        0,
      );
      const projected = Math.round(agent + others);
      return {
        cap: cap.name,
        limitNano: cap.limitNano,
        projectedDailyNano: projected,
        fits: projected <= cap.limitNano,
        overNano: projected - cap.limitNano,
      };
    });
  const caps = capsAt(input.pool);
  let poolThatFits: number | null = null;
  for (let pool = input.pool; pool >= 1; pool--) {
    if (capsAt(pool).every((c) => c.fits)) {
      poolThatFits = pool;
      break;
    }
  }
  const others = Object.values(input.othersByModel).reduce((a, b) => a + b, 0);
  return {
    dailyNano: Math.round(perDay(input.agentThenNano + others)),
    agentDailyNowNano: Math.round(perDay(input.agentNowNano)),
    agentDailyNano: Math.round(perDay(input.agentThenNano)),
    caps,
    fits: caps.every((c) => c.fits),
    poolThatFits,
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

export function distribution(
  values: number[],
): { count: number; meanUsd: number; p50Usd: number; p90Usd: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0;
  return {
    count: sorted.length,
    meanUsd: mean,
    p50Usd: percentile(sorted, 0.5),
    p90Usd: percentile(sorted, 0.9),
  };
}
