/**
 * What the agent loop does with a reply, decided from its stop reason and content alone. Pure.
 * - `use`: its tool calls are run, and its content goes back into the conversation without the
 *   blocks a request may not carry (empty or whitespace-only text).
 * - `retry`: it was cut off at `max_tokens` inside a tool call (or while thinking, before it could
 *   act): the same request again with `max_tokens` doubled, up to the agent's `maxTokensCeiling`.
 * - `continue`: `pause_turn`: its content goes back as the last message, and the API goes on.
 * - `stop`: `refusal`, `model_context_window_exceeded`, the ceiling reached, or too many pauses in a
 *   row: the stage stops with the reason, and nothing of the reply is applied.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { AgentId } from "../config/schema.ts";
import { hasControlChars } from "./text.ts";

/** Continuations of one paused turn in a row before the stage stops: a turn that never ends. */
export const MAX_PAUSES_IN_A_ROW = 4;

/** The most of one tool call's input that goes back into the conversation. */
export const MAX_ECHOED_INPUT_BYTES = 64_000;

/** The most of the API's own explanation of a refusal that the reason quotes. */
export const MAX_EXPLANATION_CHARS = 500;

/** A reply as the loop reads it; `stop_details` may be absent in replies from older API versions. */
export type Reply = Pick<Anthropic.Message, "content" | "stop_reason"> & {
  stop_details?: Anthropic.RefusalStopDetails | null;
};

export interface ReplyContext {
  agentId: AgentId;
  /** The `max_tokens` of the request that got this reply. */
  maxTokens: number;
  /** `agents.<id>.maxTokensCeiling`. */
  maxTokensCeiling: number;
  /** Continuations of the current turn already asked for, in a row. */
  pausesInARow: number;
}

export type ReplyVerdict =
  /** `echo`: what goes back into the conversation (may be empty: then no assistant turn). */
  | { kind: "use"; echo: Anthropic.ContentBlockParam[]; cutOff: boolean }
  | { kind: "continue"; echo: Anthropic.ContentBlockParam[] }
  | { kind: "retry"; maxTokens: number }
  | { kind: "stop"; reason: string };

export function judgeReply(reply: Reply, context: ReplyContext): ReplyVerdict {
  const { agentId } = context;
  const content = reply.content ?? [];
  switch (reply.stop_reason) {
    case "refusal":
      return { kind: "stop", reason: refusalReason(agentId, reply.stop_details) };
    case "model_context_window_exceeded":
      return {
        kind: "stop",
        reason: `${agentId}: the conversation reached the model's context window ` +
          "(model_context_window_exceeded); nothing of the reply was applied",
      };
    case "pause_turn":
      if (context.pausesInARow >= MAX_PAUSES_IN_A_ROW) {
        return {
          kind: "stop",
          reason: `${agentId}: the turn paused ${context.pausesInARow + 1} times in a row (pause_turn)`,
        };
      }
      return { kind: "continue", echo: continuable(echoed(content)) };
    case "max_tokens": {
      if (!cutBeforeActing(content)) return { kind: "use", echo: echoed(content), cutOff: true };
      const more = raisedMaxTokens(context.maxTokens, context.maxTokensCeiling);
      if (more !== null) return { kind: "retry", maxTokens: more };
      return {
        kind: "stop",
        reason: `${agentId}: a tool call was still cut off at max_tokens ${context.maxTokens}; ` +
          `raise agents.${agentId}.maxTokensCeiling`,
      };
    }
    default:
      return { kind: "use", echo: echoed(content), cutOff: false };
  }
}

/** Whether the reply's tool calls are run: those of a reply that is retried or stops the stage are not. */
export function runsTools(verdict: ReplyVerdict): boolean {
  return verdict.kind === "use" || verdict.kind === "continue";
}

/**
 * Cut off before it could act: the last block is a tool call whose input holds only the finished
 * parameters, or thinking (which counts toward `max_tokens` too). Text at the end is a cut answer.
 */
export function cutBeforeActing(content: readonly Anthropic.ContentBlock[]): boolean {
  const last = content.at(-1)?.type;
  return last === "tool_use" || last === "server_tool_use" || last === "thinking" ||
    last === "redacted_thinking";
}

/** Double, up to the ceiling; null when the ceiling is reached already. */
export function raisedMaxTokens(maxTokens: number, ceiling: number): number | null {
  return maxTokens >= ceiling ? null : Math.min(maxTokens * 2, ceiling);
}

/** The workflow event that records a stage's raised max_tokens (its detail: the new value). */
export const MAX_TOKENS_RAISED = "max_tokens_raised";

/**
 * The max_tokens a stage starts a run with: as raised by an earlier run of the same stage (one that
 * waited for a cap or an API error, or was interrupted), so that it does not pay again for the cut-off
 * calls that raised it; never below `maxTokens` nor above the ceiling as configured now. A finished
 * stage or a `pressroom retry` starts afresh.
 */
export function resumedMaxTokens(
  events: readonly { stage: string | null; kind: string; detail: string | null }[],
  stage: AgentId,
  maxTokens: number,
  ceiling: number,
): number {
  let raised = 0;
  for (const e of events) {
    if (e.kind === "stage_done" || e.kind === "retried") raised = 0;
    else if (e.kind === MAX_TOKENS_RAISED && e.stage === stage) raised = Number(e.detail) || 0;
  }
  return Math.max(maxTokens, Math.min(raised, ceiling));
}

/**
 * The reply's blocks as they go back into the next request. Empty and whitespace-only text is
 * dropped (the API refuses it in a request); an oversized tool input (which its schema refused
 * anyway) is replaced by a note, so one bad turn cannot inflate every later request of the stage.
 */
export function echoed(content: readonly Anthropic.ContentBlock[]): Anthropic.ContentBlockParam[] {
  return content.filter((b) => !(b.type === "text" && !b.text.trim())).map(boundedBlock);
}

function boundedBlock(block: Anthropic.ContentBlock): Anthropic.ContentBlockParam {
  if (block.type !== "tool_use") return block as Anthropic.ContentBlockParam;
  const size = new TextEncoder().encode(JSON.stringify(block.input ?? {})).length;
  if (size <= MAX_ECHOED_INPUT_BYTES) return block;
  return { ...block, input: { omitted: `an input of ${size} bytes, too large to repeat; it was refused` } };
}

/** A paused turn goes back as the last message, which may not end in whitespace. */
function continuable(echo: Anthropic.ContentBlockParam[]): Anthropic.ContentBlockParam[] {
  const last = echo.at(-1);
  if (last?.type !== "text") return echo;
  return [...echo.slice(0, -1), { ...last, text: last.text.trimEnd() }];
}

/** The reason a refusal stops the stage, with the API's category and explanation when it gives them. */
export function refusalReason(
  agentId: AgentId,
  details: Anthropic.RefusalStopDetails | null | undefined,
): string {
  const category = details?.category ? ` (category: ${details.category})` : "";
  const explanation = details?.explanation ? statusText(details.explanation, MAX_EXPLANATION_CHARS) : "";
  return `${agentId}: the model refused${category}${explanation ? `: ${explanation}` : ""}`;
}

/** Text for a status line: control characters and line breaks become spaces, bounded in length. */
function statusText(text: string, max: number): string {
  const flat = [...text].map((c) => (hasControlChars(c) || /\s/.test(c) ? " " : c)).join("")
    .replace(/ +/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What a turn that ended before the done rule holds is told. */
export function nudgeText(
  agentId: AgentId,
  missing: string,
  why: { cutOff: boolean; empty: boolean },
): string {
  const before = why.cutOff
    ? "Your answer was cut off at max_tokens. "
    : why.empty
    ? "Your reply was empty. "
    : "";
  return `${before}Your job as ${agentId} is not done yet: ${missing}. Continue with your tools.`;
}
