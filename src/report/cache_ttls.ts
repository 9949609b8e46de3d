/**
 * The report's cache TTL figures, from the ledger's own rows. Pure.
 *
 * What the TTL choice saved is re-priced from the rows' token counts: each agent's stable prefix is as
 * long as its first turns read and wrote, the shared prefix as long as the reads of first turns that found
 * only it; each stage's conversation grows by what its turns wrote beyond the stable prefix. Those segments
 * are replayed over the calls' times (pricing/cache_ttl.ts) under the TTLs each request asked for, under a
 * fixed 5m and under a fixed 1h. Replaying, rather than reading the rows' costs, prices the three the same
 * way; the rows' own cache cost stands beside them.
 * @module
 */
import type { PriceBook } from "../models/price_book.ts";
import { type Access, replayAccesses, TTL_MS } from "../pricing/cache_ttl.ts";
import type { CacheTtl, NanoRates } from "../pricing/cost.ts";
import { nanoToUsd } from "../pricing/money.ts";
import type { CallRow } from "./queries.ts";
import { groupBy } from "./maths.ts";

export interface TtlFigures {
  agent: string;
  model: string;
  /** The TTLs its requests asked for, most used first, e.g. "1h 1h 5m" (shared, agent, conversation). */
  ttls: { ttls: string; calls: number }[];
  /** What the rows booked for cache reads and writes. */
  cacheUsd: number;
  /** The replayed cache cost as chosen, and under fixed 5m and fixed 1h. */
  chosenUsd: number;
  fixed5mUsd: number;
  fixed1hUsd: number;
  savedVs5mUsd: number;
  savedVs1hUsd: number;
}

export interface MissFigures {
  agent: string;
  model: string;
  reason: string;
  calls: number;
  /** The API's estimate of the tokens a matching prefix would have read. */
  missedTokens: number;
  /** What those calls paid for cache writes. */
  writeUsd: number;
}

/** The agent shown for the prefix every agent on a model shares. */
export const SHARED_PREFIX = "(shared prefix)";

const TTL_KINDS = 3;

/** The TTL of breakpoint kind `i` (0 shared, 1 agent, 2 conversation) a row's request asked for. */
function ttlOf(row: CallRow, i: number): CacheTtl {
  const ttl = row.cacheTtls?.split(" ")[Math.min(i, TTL_KINDS - 1)];
  return ttl === "1h" ? "1h" : "5m";
}

/** What a call paid for its cache writes, in nano-USD. */
export const writeNano = (c: CallRow, rates: NanoRates) =>
  c.cacheWrite5mTokens * rates.cacheWrite5m + c.cacheWrite1hTokens * rates.cacheWrite1h;

const cached = (c: CallRow) => c.cacheReadTokens + c.cacheWrite5mTokens + c.cacheWrite1hTokens;

function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The cost in nano-USD of one policy over a segment of `size` tokens read at `accesses`. */
const segmentCost = (size: number, accesses: Access[], rates: NanoRates) =>
  size > 0 ? size * replayAccesses(accesses, rates) : 0;

/** A stage's conversation: each turn after the first reads what the turn before cached and writes what it adds. */
function conversationCost(turns: CallRow[], stable: number, rates: NanoRates, ttl: (c: CallRow) => CacheTtl) {
  let cost = 0;
  let before: { ts: number; tokens: number; ttl: CacheTtl } | undefined;
  for (const c of turns) {
    const tokens = Math.max(0, cached(c) - stable);
    const t = ttl(c);
    const write = t === "1h" ? rates.cacheWrite1h : rates.cacheWrite5m;
    const kept = before && c.ts - before.ts < TTL_MS[before.ttl];
    const old = before ? Math.min(before.tokens, tokens) : 0;
    cost += (tokens - old) * write + old * (kept ? rates.cacheRead : write);
    before = { ts: c.ts, tokens, ttl: t };
  }
  return cost;
}

type Policy = (c: CallRow, kind: number) => CacheTtl;
const POLICIES: Record<"chosen" | "fixed5m" | "fixed1h", Policy> = {
  chosen: ttlOf,
  fixed5m: () => "5m",
  fixed1h: () => "1h",
};

/** Per agent × model (and the shared prefix per model): the TTLs used and what they saved. */
export function ttlFigures(calls: CallRow[], prices: PriceBook): TtlFigures[] {
  const answered = calls.filter((c) => cached(c) > 0);
  const out: TtlFigures[] = [];
  for (const [model, onModel] of groupBy(answered, (c) => c.model)) {
    const priced = prices.lookup(model);
    if (!priced) continue;
    const rates = priced.rates;
    // A call outside a stage's loop (no turn) caches only its stable prefix, like a first turn.
    const firsts = onModel.filter((c) => (c.turn ?? 1) === 1);
    const stableOf = new Map(
      [...groupBy(firsts, (c) => c.agent)].map(([agent, rows]) => [agent, median(rows.map(cached))]),
    );
    // A first turn that read part of its stable prefix found the shared one only.
    const shared = median(
      firsts.filter((c) => c.cacheReadTokens > 0 && c.cacheReadTokens < cached(c) - 1).map((c) =>
        c.cacheReadTokens
      ),
    );
    const costs = (rows: CallRow[], size: number, kind: number) =>
      Object.fromEntries(
        Object.entries(POLICIES).map((
          [name, policy],
        ) => [name, segmentCost(size, rows.map((c) => ({ ts: c.ts, ttl: policy(c, kind) })), rates)]),
      ) as Record<keyof typeof POLICIES, number>;
    if (shared > 0) {
      out.push(figuresOf(SHARED_PREFIX, model, onModel, costs(onModel, shared, 0), null, [0, 1]));
    }
    for (const [agent, rows] of groupBy(onModel, (c) => c.agent)) {
      const stable = stableOf.get(agent) ?? 0;
      const own = costs(rows, Math.max(0, stable - shared), 1);
      for (const stage of stages(rows)) {
        for (const [name, policy] of Object.entries(POLICIES) as [keyof typeof POLICIES, Policy][]) {
          own[name] += conversationCost(stage, stable, rates, (c) => policy(c, 2));
        }
      }
      out.push(figuresOf(agent, model, rows, own, rates, [shared > 0 ? 1 : 0, TTL_KINDS]));
    }
  }
  return out;
}

function figuresOf(
  agent: string,
  model: string,
  rows: CallRow[],
  nano: Record<keyof typeof POLICIES, number>,
  rates: NanoRates | null,
  /** Which of the request's TTLs the row stands for: [from, to) of shared, agent, conversation. */
  [from, to]: [number, number],
): TtlFigures {
  const used = [...groupBy(rows, (c) => (c.cacheTtls ?? "5m 5m 5m").split(" ").slice(from, to).join(" "))]
    .map(([ttls, r]) => ({ ttls, calls: r.length }))
    .sort((a, b) => b.calls - a.calls);
  const booked = rates
    ? rows.reduce((n, c) => n + c.cacheReadTokens * rates.cacheRead + writeNano(c, rates), 0)
    : 0;
  return {
    agent,
    model,
    ttls: used,
    cacheUsd: nanoToUsd(booked),
    chosenUsd: nanoToUsd(nano.chosen),
    fixed5mUsd: nanoToUsd(nano.fixed5m),
    fixed1hUsd: nanoToUsd(nano.fixed1h),
    savedVs5mUsd: nanoToUsd(nano.fixed5m - nano.chosen),
    savedVs1hUsd: nanoToUsd(nano.fixed1h - nano.chosen),
  };
}

/** A workflow's calls of one agent cut into stage runs at each first turn, without the first turns. */
function stages(rows: CallRow[]): CallRow[][] {
  const runs: CallRow[][] = [];
  for (const ofWorkflow of groupBy(rows, (c) => c.workflowId).values()) {
    let run: CallRow[] = [];
    for (const c of ofWorkflow) {
      if ((c.turn ?? 1) !== 1) run.push(c);
      else if (run.length) [runs[runs.length], run] = [run, []];
    }
    if (run.length) runs.push(run);
  }
  return runs;
}

/**
 * The calls whose cache diagnostics named a reason, per agent × model × reason. A stage's first turn is
 * compared with the agent's previous call, another workflow's: its messages differ by design (the new
 * workflow's volatile block), and on a canary's arms so does its model; those reasons there are no miss
 * and are left out.
 */
export function missFigures(
  calls: CallRow[],
  prices: PriceBook,
  /** `${workflow}\u0000${agent}` of canary arms, whose first turns follow the other arm's model by design. */
  canaryArms: Set<string> = new Set(),
): MissFigures[] {
  const expected = (c: CallRow) =>
    c.turn === 1 && (c.cacheMissReason === "messages_changed" ||
      (c.cacheMissReason === "model_changed" && canaryArms.has(`${c.workflowId}\u0000${c.agent}`)));
  const missed = calls.filter((c) => c.cacheMissReason && !expected(c));
  return [...groupBy(missed, (c) => `${c.agent}\u0000${c.model}\u0000${c.cacheMissReason}`).values()].map(
    (rows) => {
      const { agent, model, cacheMissReason } = rows[0];
      const rates = prices.lookup(model)?.rates;
      const writes = rates ? rows.reduce((n, c) => n + writeNano(c, rates), 0) : 0;
      return {
        agent,
        model,
        reason: cacheMissReason!,
        calls: rows.length,
        missedTokens: rows.reduce((n, c) => n + (c.cacheMissedTokens ?? 0), 0),
        writeUsd: nanoToUsd(writes),
      };
    },
  );
}
