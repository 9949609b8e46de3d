/**
 * The live API's quirks, for the simulated model to reproduce: replies that are legal but awkward,
 * which a client meets now and then and must handle. Each has a rate per model profile
 * (profiles.ts) and can be forced by a script, like faults (faults.ts):
 *
 * - `empty_reply`: `content: []` with `end_turn`, mostly right after tool results;
 * - `whitespace_reply`: one text block that is only whitespace, with `end_turn`;
 * - `pause_turn`: a turn that searches the web stops after its `server_tool_use`, before the
 *   result (`stop_reason: "pause_turn"`); sent back as the last message, it is continued;
 * - `long_turn`: the model runs long, so a short `max_tokens` cuts the turn (the writer's
 *   `update_section` loses its `markdown`); a larger `max_tokens` gets the same whole turn;
 * - `refusal`: `stop_reason: "refusal"` with `stop_details`, sometimes after tool calls;
 * - `context_window_exceeded`: `stop_reason: "model_context_window_exceeded"`, content partial;
 * - `us_inference`: `usage.inference_geo: "us"` (Claude 4.6 and later), as for a US-only workspace.
 *
 * Draws are seeded: `long_turn` by the request without its max_tokens (so a retry with a larger
 * max_tokens meets the same turn), the others by the request and how often the simulator has seen
 * it (so a request sent again is sampled again, as the API samples). Pure.
 * @module
 */
import type { Rng } from "./rng.ts";

export type QuirkKind =
  | "empty_reply"
  | "whitespace_reply"
  | "pause_turn"
  | "long_turn"
  | "refusal"
  | "context_window_exceeded"
  | "us_inference";

/** Quirks that decide how a reply stops; at most one per reply, drawn in this order. */
export const STOP_QUIRKS = [
  "empty_reply",
  "whitespace_reply",
  "pause_turn",
  "refusal",
  "context_window_exceeded",
] as const satisfies readonly QuirkKind[];
export type StopQuirk = typeof STOP_QUIRKS[number];

export const QUIRK_KINDS: readonly QuirkKind[] = [...STOP_QUIRKS, "long_turn", "us_inference"];

/**
 * The quirks a pipeline recovers from, at the profile's rates, with the two that stop a stage for good
 * (a refusal, a full context window) off: for runs that must end with articles to check. Those two are
 * scripted where a test meets them, and stay on in the demo and the bench.
 */
export const RECOVERABLE_QUIRKS: QuirkPlan = { rates: { refusal: 0, context_window_exceeded: 0 } };

/** Chance per reply of each quirk. */
export type QuirkRates = Record<QuirkKind, number>;

/** What a script may know of a request besides its index and agent (as for faults). */
export interface QuirkRequest {
  /** The x-pressroom-workflow header. */
  workflowId: string | null;
  /** The SDK's retry number for this call: 0 on a first attempt. */
  attempt: number;
}

export interface QuirkPlan {
  /** Rates that replace the profile's, kind by kind; the kinds not named keep the profile's rate. */
  rates?: Partial<QuirkRates>;
  /** Multiplies every rate (after `rates`); 0 turns the random quirks off and keeps the script. */
  scale?: number;
  /**
   * The quirks of this request, instead of random ones; undefined or [] leaves it to the rates.
   * `requestIndex` counts every request the simulator received, from 0.
   */
  script?: (
    requestIndex: number,
    agentId: string | null,
    request: QuirkRequest,
  ) => QuirkKind | readonly QuirkKind[] | undefined;
}

/** `false` turns every quirk off, random or scripted; the default is the profile's rates. */
export type QuirkOption = QuirkPlan | false;

/** What the request allows. */
export interface QuirkSituation {
  /** The last message carries tool results: where empty replies mostly come. */
  afterToolResults: boolean;
  /** The request offers web search (a turn can pause only on a search). */
  webSearch: boolean;
  /** The model reports `inference_geo` (Claude 4.6 and later). */
  reportsGeo: boolean;
  /** The request continues a paused turn: the rest of that turn comes, as it was. */
  continuation: boolean;
}

export interface DrawnQuirks {
  stop?: StopQuirk;
  long: boolean;
  usInference: boolean;
}

/** An empty reply away from tool results comes at this fraction of its rate. */
export const EMPTY_AWAY_FROM_TOOLS = 0.25;

export interface QuirkDraw {
  option: QuirkOption | undefined;
  profileRates: QuirkRates;
  requestIndex: number;
  agentId: string | null;
  request: QuirkRequest;
  situation: QuirkSituation;
  /** Seeded by the request without max_tokens: the same turn whatever max_tokens is. */
  stable: Rng;
  /** Seeded by the request and how often it was seen: a new sample when it is sent again. */
  fresh: Rng;
}

/** The quirks of one reply: scripted ones when the script names any, else drawn at the rates. */
export function drawQuirks(draw: QuirkDraw): DrawnQuirks {
  const { option, situation } = draw;
  if (option === false) return { long: false, usInference: false };
  const named = option?.script?.(draw.requestIndex, draw.agentId, draw.request);
  const scripted: readonly QuirkKind[] = typeof named === "string" ? [named] : named ?? [];
  if (scripted.length) {
    return {
      stop: situation.continuation ? undefined : STOP_QUIRKS.find((k) => scripted.includes(k)),
      long: scripted.includes("long_turn"),
      usInference: situation.reportsGeo && scripted.includes("us_inference"),
    };
  }
  const scale = option?.scale ?? 1;
  const rate = (kind: QuirkKind) => (option?.rates?.[kind] ?? draw.profileRates[kind]) * scale;
  // Each draw is taken whether or not it can apply, so that one situation never shifts another's.
  const long = draw.stable.chance(rate("long_turn"));
  const u = draw.fresh.next();
  const usInference = draw.fresh.chance(rate("us_inference")) && situation.reportsGeo;
  if (situation.continuation) return { long, usInference };
  let edge = 0;
  for (const kind of STOP_QUIRKS) {
    let p = rate(kind);
    if (kind === "empty_reply" && !situation.afterToolResults) p *= EMPTY_AWAY_FROM_TOOLS;
    if (kind === "pause_turn" && !situation.webSearch) p = 0;
    edge += p;
    if (u < edge) return { stop: kind, long, usInference };
  }
  return { long, usInference };
}

/** `RefusalStopDetails.category` values (the SDK's type). */
export const REFUSAL_CATEGORIES = [
  "cyber",
  "bio",
  "frontier_llm",
  "reasoning_extraction",
  "general_harms",
  null,
] as const;
export type RefusalCategory = typeof REFUSAL_CATEGORIES[number];

export interface RefusalStopDetails {
  type: "refusal";
  category: RefusalCategory;
  explanation: string | null;
}

/** A refusal's `stop_details`, in the SDK's shape; no explanation when the category is null. */
export function refusalDetails(rng: Rng): RefusalStopDetails {
  const category = rng.pick(REFUSAL_CATEGORIES);
  return {
    type: "refusal",
    category,
    explanation: category === null
      ? null
      : `Simulated refusal: the request was judged to fall under ${category.replace("_", " ")}.`,
  };
}
