/**
 * Choosing each breakpoint's prompt-cache TTL from the times of the calls that read its prefix. Pure.
 *
 * The break-even. Write w5 and w1 for the 5m and 1h write rates and r for the read rate, as multiples of the
 * input rate (1.25, 2 and 0.1 on most models). Replay the calls that read one prefix in time order. The first
 * writes the entry under either TTL (w5 against w1). Then each gap g to the next call:
 *   - g < 5 min: both read (r), and the hit refreshes the entry;
 *   - 5 min ≤ g < 60 min: the 5m entry has expired and is written again (w5); the 1h entry is read (r);
 *   - g ≥ 60 min: both are written again (w5 against w1).
 * With m gaps of 5–60 minutes and l gaps over an hour, 1h costs less by m·(w5 − r) − (1 + l)·(w1 − w5).
 * For k calls all 5–60 minutes apart this is 1h's 2 + (k−1)r against 5m's 1.25k: 1h pays once
 * k > (w1 − r)/(w5 − r) = 1.9/1.15 ≈ 1.65, so from the second call on. Each gap of 5–60 minutes pays for
 * (w5 − r)/(w1 − w5) ≈ 1.53 extra 1h writes; gaps under 5 minutes decide nothing.
 *
 * A request's breakpoints run shared prefix (tools and the shared stable block, read by every agent on the
 * model) → agent prefix (read by one agent) → conversation (read within one stage), and the API takes 1h
 * breakpoints only before 5m ones. So the choice is the cheapest of the four orderly assignments, each
 * segment's replayed cost weighted by its size.
 * @module
 */
import type { CacheTtl, NanoRates } from "./cost.ts";

export const TTL_MS: Record<CacheTtl, number> = { "5m": 5 * 60_000, "1h": 60 * 60_000 };

/** How a request's breakpoints are cached: the stable blocks' (most shared first), then the conversation's. */
export interface BreakpointTtls {
  stable: CacheTtl[];
  turns: CacheTtl;
}

/** One prefix as the ledger saw it read: runs of call times (each run a separate entry, as each stage's conversation is). */
export interface PrefixTraffic {
  runs: number[][];
  /** The segment's size up to its breakpoint from the one before (any unit; only the ratios count). */
  size: number;
}

/** The gaps that decide, over a prefix's runs. */
export interface GapCounts {
  /** Runs plus gaps over an hour: writes under either TTL. */
  starts: number;
  /** Gaps of 5–60 minutes: 5m writes again, 1h reads. */
  medium: number;
  /** Gaps up to 5 minutes: reads under either TTL. */
  short: number;
}

export function gapCounts(runs: number[][]): GapCounts {
  const counts: GapCounts = { starts: 0, medium: 0, short: 0 };
  for (const run of runs) {
    if (!run.length) continue;
    const times = [...run].sort((a, b) => a - b);
    counts.starts++;
    for (let i = 1; i < times.length; i++) {
      const gap = times[i] - times[i - 1];
      // An entry is gone at the instant its TTL ends (as sim/cache.ts has it).
      if (gap < TTL_MS["5m"]) counts.short++;
      else if (gap < TTL_MS["1h"]) counts.medium++;
      else counts.starts++;
    }
  }
  return counts;
}

/** What a prefix's traffic costs per token of its segment under one TTL, in the rates' unit. */
export function replayCost(counts: GapCounts, ttl: CacheTtl, rates: NanoRates): number {
  const write = ttl === "1h" ? rates.cacheWrite1h : rates.cacheWrite5m;
  if (ttl === "1h") return counts.starts * write + (counts.medium + counts.short) * rates.cacheRead;
  return (counts.starts + counts.medium) * write + counts.short * rates.cacheRead;
}

/** The orderly assignments for a shared, an agent and a conversation segment: no 1h after a 5m. */
const ORDERLY: readonly [CacheTtl, CacheTtl, CacheTtl][] = [
  ["1h", "1h", "1h"],
  ["1h", "1h", "5m"],
  ["1h", "5m", "5m"],
  ["5m", "5m", "5m"],
];

/**
 * The cheapest orderly TTLs for [shared, agent, conversation] traffic, replayed; ties go to the shorter TTL
 * (a 5m write is the cheaper mistake).
 */
export function chooseTtls(
  segments: [PrefixTraffic, PrefixTraffic, PrefixTraffic],
  rates: NanoRates,
): BreakpointTtls {
  const counts = segments.map((s) => gapCounts(s.runs)) as [GapCounts, GapCounts, GapCounts];
  return chooseFromCounts(counts, segments.map((s) => s.size) as [number, number, number], rates);
}

/** `chooseTtls` from each segment's gap counts (what a caller may keep between requests) and sizes. */
export function chooseFromCounts(
  counts: [GapCounts, GapCounts, GapCounts],
  sizes: [number, number, number],
  rates: NanoRates,
): BreakpointTtls {
  let best: { ttls: readonly CacheTtl[]; cost: number } | undefined;
  for (const ttls of [...ORDERLY].reverse()) {
    const cost = ttls.reduce((n, ttl, i) => n + sizes[i] * replayCost(counts[i], ttl, rates), 0);
    if (!best || cost < best.cost) best = { ttls, cost };
  }
  const [shared, agent, turns] = best!.ttls;
  return { stable: [shared, agent], turns };
}

/** One TTL on every breakpoint: a fixed `cacheTtl`. */
export function fixedTtls(ttl: CacheTtl): BreakpointTtls {
  return { stable: [ttl, ttl], turns: ttl };
}

/** The longest TTL a request asks for: what cache writes the usage does not break down are taken at. */
export function longestTtl(ttls: BreakpointTtls): CacheTtl {
  return [...ttls.stable, ttls.turns].includes("1h") ? "1h" : "5m";
}

/** "1h 1h 5m": how the ledger and report write a request's TTLs. */
export function formatTtls(ttls: BreakpointTtls): string {
  return [...ttls.stable, ttls.turns].join(" ");
}

/** Whether a request's TTLs keep the API's order (no 1h breakpoint after a 5m one). */
export function orderly(ttls: CacheTtl[]): boolean {
  return ttls.every((ttl, i) => i === 0 || ttl === "5m" || ttls[i - 1] === "1h");
}

/** One read of a prefix: when, and the TTL its request gave the breakpoint (what a write there lasts). */
export interface Access {
  ts: number;
  ttl: CacheTtl;
}

/**
 * What a prefix's reads cost per token when each request may ask for its own TTL: an access finds the entry
 * if it is younger than the TTL it was written or last refreshed with, and reads it (refreshing it), or
 * writes it again at its own TTL. With one TTL throughout this is `replayCost`.
 */
export function replayAccesses(accesses: Access[], rates: NanoRates): number {
  let entry: { ttl: CacheTtl; at: number } | undefined;
  let cost = 0;
  for (const access of [...accesses].sort((a, b) => a.ts - b.ts)) {
    if (entry && access.ts - entry.at < TTL_MS[entry.ttl]) {
      cost += rates.cacheRead;
      entry.at = access.ts;
    } else {
      cost += access.ttl === "1h" ? rates.cacheWrite1h : rates.cacheWrite5m;
      entry = { ttl: access.ttl, at: access.ts };
    }
  }
  return cost;
}
