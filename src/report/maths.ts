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

/** Items by key, each group in the items' order, the groups in the order their first items came. */
export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
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

/** A difference (a − b) with its 95 % interval. */
export interface Difference {
  estimate: number;
  low: number;
  high: number;
}

/** A difference whose interval may not exist yet (null ends: too few values). */
export interface Interval {
  estimate: number;
  low: number | null;
  high: number | null;
}

/**
 * Newcombe's hybrid score interval for the difference of two proportions (his method 10): each side's
 * Wilson interval, combined. Sound for small samples and proportions near 0 or 1, where the Wald interval
 * is not.
 */
export function newcombe(okA: number, nA: number, okB: number, nB: number): Difference {
  const pA = ratio(okA, nA);
  const pB = ratio(okB, nB);
  const a = wilson(okA, nA);
  const b = wilson(okB, nB);
  const estimate = pA - pB;
  return {
    estimate,
    low: estimate - Math.sqrt((pA - a.low) ** 2 + (b.high - pB) ** 2),
    high: estimate + Math.sqrt((a.high - pA) ** 2 + (pB - b.low) ** 2),
  };
}

/** Mean and sample variance. */
export function meanVariance(values: number[]): { n: number; mean: number; variance: number } {
  const n = values.length;
  const mean = n ? values.reduce((s, v) => s + v, 0) / n : 0;
  const variance = n > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, variance };
}

/** Student's t, 97.5 % quantile, for 1 to 5 degrees of freedom, where the expansion below is too coarse. */
const T975_SMALL = [12.706, 4.303, 3.182, 2.776, 2.571];

/**
 * The 97.5 % quantile of Student's t with `df` degrees of freedom (a two-sided 95 % interval): from the
 * table up to 5, interpolated in 1/df between its entries (Welch's df is fractional), and beyond by the
 * Cornish–Fisher expansion around the normal's 1.96 (within 0.1 % of the table from 6 on).
 */
export function t975(df: number): number {
  const z = 1.959964;
  if (!Number.isFinite(df)) return z;
  const d = Math.max(df, 1);
  if (d <= 6) {
    const at = (k: number) => (k <= 5 ? T975_SMALL[k - 1] : expansion(6));
    const low = Math.floor(d);
    if (low === d) return at(d);
    const w = (1 / low - 1 / d) / (1 / low - 1 / (low + 1));
    return at(low) + w * (at(low + 1) - at(low));
  }
  return expansion(d);
}

function expansion(d: number): number {
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * d) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * d ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * d ** 3);
}

/**
 * Welch's interval for the difference of two means (unequal variances), with its degrees of freedom. With
 * fewer than two values on a side there is no interval: its ends are null (and so they print in JSON).
 */
export function welch(a: number[], b: number[]): Interval & { df: number | null } {
  const x = meanVariance(a);
  const y = meanVariance(b);
  const estimate = x.mean - y.mean;
  if (x.n < 2 || y.n < 2) return { estimate, low: null, high: null, df: null };
  const va = x.variance / x.n;
  const vb = y.variance / y.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { estimate, low: estimate, high: estimate, df: null };
  const df = (va + vb) ** 2 / (va ** 2 / (x.n - 1) + vb ** 2 / (y.n - 1));
  const t = t975(df);
  return { estimate, low: estimate - t * se, high: estimate + t * se, df };
}
