/**
 * Each request's cache TTLs under `cacheTtl: "auto"`: chosen per breakpoint from the ledger's recent
 * traffic (pricing/cache_ttl.ts has the arithmetic and the break-even), from the agent's schedule while
 * there is too little of it, and 1h for a request in a Message Batch, as Anthropic advises (batch results
 * come minutes to hours apart, and a batch's cache hits are best effort).
 * @module
 */
import { Cron } from "croner";
import type { AgentConfig } from "../config/schema.ts";
import type { CallTime, Ledger } from "../ledger/ledger.ts";
import type { Backend } from "../ledger/ledger.ts";
import type { NanoRates } from "../pricing/cost.ts";
import {
  type BreakpointTtls,
  chooseFromCounts,
  fixedTtls,
  type GapCounts,
  gapCounts,
  type PrefixTraffic,
  TTL_MS,
} from "../pricing/cache_ttl.ts";

/** How far back the traffic is read: a day holds a whole daily rhythm and forgets a changed one by tomorrow. */
export const TRAFFIC_WINDOW_MS = 24 * 60 * 60_000;
/** How long one reading of the traffic serves before the ledger is read again. */
export const TRAFFIC_REFRESH_MS = 60_000;
/** Gaps a prefix needs in the window before its own traffic decides instead of the schedule. */
export const MIN_GAPS = 4;

export interface TtlRequest {
  agentId: string;
  model: string;
  settings: Pick<AgentConfig, "cacheTtl" | "schedule" | "batch">;
  rates: NanoRates;
  /** The segments' sizes: shared prefix (tools and shared block), the agent's block, this stage's conversation. */
  sizes: [number, number, number];
}

/**
 * What one reading of the traffic decides for an agent on a model: the schedule's TTLs while it has too
 * little traffic, else its three prefixes' gap counts, which each request weighs by its own sizes.
 */
type Decision = { schedule: BreakpointTtls } | { counts: [GapCounts, GapCounts, GapCounts] };

interface Reading {
  at: number;
  calls: CallTime[];
  decisions: Map<string, Decision>;
}

/** One reading of the traffic per ledger and backend, refreshed at most once a minute. */
const readings = new WeakMap<Ledger, Map<Backend, Reading>>();

function reading(ledger: Ledger, backend: Backend, now: number): Reading {
  let byBackend = readings.get(ledger);
  if (!byBackend) readings.set(ledger, byBackend = new Map());
  const kept = byBackend.get(backend);
  if (kept && now - kept.at < TRAFFIC_REFRESH_MS && now >= kept.at) return kept;
  const fresh = { at: now, calls: ledger.callTimes(now - TRAFFIC_WINDOW_MS, backend), decisions: new Map() };
  byBackend.set(backend, fresh);
  return fresh;
}

/** The TTLs of one request: fixed as configured, or chosen (`auto`). */
export function ttlsFor(
  deps: { ledger: Ledger; backend: Backend; now: () => number },
  request: TtlRequest,
): BreakpointTtls {
  const { settings } = request;
  if (settings.cacheTtl !== "auto") return fixedTtls(settings.cacheTtl);
  if (settings.batch) return fixedTtls("1h");
  const now = deps.now();
  const read = reading(deps.ledger, deps.backend, now);
  // The same for every request of the agent on the model until the next reading: decided once.
  const key = `${request.agentId}\u0000${request.model}\u0000${settings.schedule}`;
  let decision = read.decisions.get(key);
  if (!decision) {
    const segments = segmentsOf(read.calls, request);
    decision = segments.slice(0, 2).every((s) => gapsIn(s) >= MIN_GAPS)
      ? { counts: segments.map((s) => gapCounts(s.runs)) as [GapCounts, GapCounts, GapCounts] }
      : { schedule: scheduleTtls(settings.schedule, now) };
    read.decisions.set(key, decision);
  }
  return "schedule" in decision
    ? decision.schedule
    : chooseFromCounts(decision.counts, request.sizes, request.rates);
}

/** The sizes of a request's three cached segments, in characters (only their ratios count). */
export function segmentSizes(
  prompt: { tools: object[]; stable: string[]; volatile: string; turns: unknown[] },
): [number, number, number] {
  return [
    toolsSize(prompt.tools) + prompt.stable[0].length,
    prompt.stable.slice(1).join("").length,
    prompt.volatile.length + JSON.stringify(prompt.turns).length,
  ];
}

/** The tool list is one of two constants (tools.ts): its size is measured once. */
const toolSizes = new WeakMap<object[], number>();
function toolsSize(tools: object[]): number {
  let size = toolSizes.get(tools);
  if (size === undefined) toolSizes.set(tools, size = JSON.stringify(tools).length);
  return size;
}

/** The traffic of the request's three prefixes: the model's calls, the agent's, and each stage's turns. */
export function segmentsOf(
  calls: CallTime[],
  { agentId, model, sizes }: Pick<TtlRequest, "agentId" | "model" | "sizes">,
): [PrefixTraffic, PrefixTraffic, PrefixTraffic] {
  const onModel = calls.filter((c) => c.model === model);
  const ofAgent = onModel.filter((c) => c.agentId === agentId);
  // A stage's conversation: its turns after the first (which has none to cache), each stage its own run.
  const stages = new Map<string, number[]>();
  const open = new Map<string, string>();
  for (const c of ofAgent) {
    if (c.turn === null) continue;
    if (c.turn === 1 || !open.has(c.workflowId)) open.set(c.workflowId, `${c.workflowId}#${c.ts}`);
    if (c.turn === 1) continue;
    const key = open.get(c.workflowId)!;
    stages.set(key, [...(stages.get(key) ?? []), c.ts]);
  }
  return [
    { runs: [onModel.map((c) => c.ts)], size: sizes[0] },
    { runs: [ofAgent.map((c) => c.ts)], size: sizes[1] },
    { runs: [...stages.values()], size: sizes[2] },
  ];
}

/**
 * The gaps seen. Short ones count too: they read under either TTL, but they show the prefix's calls come
 * in bursts, whose starts (a write under either, 2× against 1.25×) the replay weighs against 1h.
 */
function gapsIn(traffic: PrefixTraffic): number {
  const counts = gapCounts(traffic.runs);
  return counts.short + counts.medium + counts.starts - traffic.runs.filter((r) => r.length).length;
}

/**
 * With too little traffic to go by, the agent's schedule: woken 5–60 minutes apart, its stable prefixes outlive
 * a 5m entry between wakes and take 1h; woken oftener (or rarer), 5m. A stage's turns are seconds apart: 5m.
 */
export function scheduleTtls(schedule: string, now: number): BreakpointTtls {
  const runs = new Cron(schedule, { paused: true }).nextRuns(3, new Date(now));
  const gaps = runs.slice(1).map((run, i) => run.getTime() - runs[i].getTime());
  const gap = gaps.length ? Math.min(...gaps) : Infinity;
  const stable = gap >= TTL_MS["5m"] && gap < TTL_MS["1h"] ? "1h" : "5m";
  return { stable: [stable, stable], turns: "5m" };
}
