/**
 * A reply's content, stop reason and output tokens, from the whole turn a role played and the
 * quirk drawn for it (quirks.ts), with the API's max_tokens cut (truncate.ts) over all: whatever
 * a quirk leaves, a reply never outgrows max_tokens, and one that would stops there with
 * `stop_reason: "max_tokens"` and `output_tokens` = max_tokens. A continued paused turn answers
 * with the rest of that turn: the search result, then what followed it. Pure.
 * @module
 */
import { refusalDetails, type RefusalStopDetails, type StopQuirk } from "./quirks.ts";
import type { Rng } from "./rng.ts";
import { cutContent, outputTokensOf } from "./truncate.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export type StopReason =
  | "end_turn"
  | "tool_use"
  | "max_tokens"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

/** A paused turn sent back to be continued: its server tool call still waiting for a result. */
export interface Continuation {
  pendingId: string;
  query: string;
}

export interface ReplyInput {
  /** The whole turn, as render.ts renders it. */
  turn: Json[];
  continuation?: Continuation;
  stop?: StopQuirk;
  maxTokens: number;
  factor: number;
  /** For refusal details and where a refusal or a full context window cuts. */
  rng: Rng;
}

export interface Reply {
  content: Json[];
  stopReason: StopReason;
  stopDetails: RefusalStopDetails | null;
  outputTokens: number;
}

/** What a blank reply holds (the API's is often a bare pair of newlines). */
export const BLANK_TEXT = "\n\n";
/** A cut lands this far into the turn's output, at random: [min, max). */
export const CUT_RANGE: readonly [number, number] = [0.2, 0.9];

const isCall = (b: Json) => b?.type === "tool_use" || b?.type === "server_tool_use";
const naturalStop = (content: Json[]): StopReason =>
  content.some((b) => b?.type === "tool_use") ? "tool_use" : "end_turn";

/** The blocks after the paused call: its result first. When the turn is not the one paused, a result of our own. */
export function remainderAfter(turn: Json[], { pendingId, query }: Continuation): Json[] {
  const at = turn.findIndex((b) => b?.type === "server_tool_use" && b.id === pendingId);
  if (at >= 0) return turn.slice(at + 1);
  const result = {
    type: "web_search_tool_result",
    tool_use_id: pendingId,
    caller: { type: "direct" },
    content: [1, 2, 3].map((n) => ({
      type: "web_search_result",
      url: `https://example.org/search/continued-${n}`,
      title: `${query} (result ${n})`,
      encrypted_content: "simulated",
      page_age: null,
    })),
  };
  return [result, ...turn.filter((b) => b?.type === "tool_use")];
}

export function shapeReply(input: ReplyInput): Reply {
  const { maxTokens, factor, rng } = input;
  const turn = input.continuation ? remainderAfter(input.turn, input.continuation) : input.turn;
  const fraction = () => CUT_RANGE[0] + rng.next() * (CUT_RANGE[1] - CUT_RANGE[0]);
  let reply: Reply | undefined;
  switch (input.stop) {
    case "empty_reply":
      reply = { content: [], stopReason: "end_turn", stopDetails: null, outputTokens: 1 };
      break;
    case "whitespace_reply":
      reply = {
        content: [{ type: "text", text: BLANK_TEXT, citations: null }],
        stopReason: "end_turn",
        stopDetails: null,
        outputTokens: 1,
      };
      break;
    case "pause_turn": {
      // Paused on the first search, before its result: only a turn that searches can pause.
      const at = turn.findIndex((b) => b?.type === "server_tool_use");
      if (at >= 0) reply = stopped(turn.slice(0, at + 1), "pause_turn", null, factor);
      break;
    }
    case "refusal": {
      const details = refusalDetails(rng);
      if (rng.chance(0.5)) {
        // Refused after the turn was written, tool calls included.
        reply = stopped(turn, "refusal", details, factor);
      } else {
        const firstCall = turn.findIndex(isCall);
        const before = firstCall < 0 ? turn : turn.slice(0, firstCall);
        const cut = cutContent(before, Math.floor(outputTokensOf(before, factor) * fraction()), factor);
        reply = stopped(cut, "refusal", details, factor);
      }
      break;
    }
    case "context_window_exceeded": {
      const budget = Math.max(1, Math.floor(outputTokensOf(turn, factor) * fraction()));
      reply = {
        content: cutContent(turn, budget, factor),
        stopReason: "model_context_window_exceeded",
        stopDetails: null,
        outputTokens: budget,
      };
      break;
    }
  }
  reply ??= stopped(turn, naturalStop(turn), null, factor);
  if (reply.outputTokens <= maxTokens) return reply;
  // max_tokens ran out first.
  return {
    content: cutContent(turn, maxTokens, factor),
    stopReason: "max_tokens",
    stopDetails: null,
    outputTokens: maxTokens,
  };
}

function stopped(
  content: Json[],
  stopReason: StopReason,
  stopDetails: RefusalStopDetails | null,
  factor: number,
): Reply {
  return { content, stopReason, stopDetails, outputTokens: Math.max(1, outputTokensOf(content, factor)) };
}
