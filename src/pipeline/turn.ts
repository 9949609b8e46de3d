/**
 * One turn of an agent's stage: a callClaude() whose reply is judged (replies.ts) and whose tool calls
 * are applied before its ledger row is written, and what the reply makes of the stage: the next
 * call's conversation (conversation.ts) and max_tokens, the end of the stage, or a stop with a reason.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import { callClaude, type ClaudeCall, type Exchange } from "../claude/call_claude.ts";
import type { KnownPrefix } from "../claude/estimate.ts";
import type { AgentConfig, AgentId } from "../config/schema.ts";
import type { PricedModel } from "../models/price_book.ts";
import { toolDefinitions } from "./tools.ts";
import { segmentSizes, ttlsFor } from "./cache_ttl_policy.ts";
import { evidenceFrom } from "./provenance.ts";
import { AGENTS } from "./agents.ts";
import type { PipelineDeps } from "./loop.ts";
import { runTool, type ToolCallResult } from "./run_tool.ts";
import type { Workflow } from "./store.ts";
import type { ContentState } from "../content/state.ts";
import { type Conversation, startConversation, withAssistant, withUser } from "./conversation.ts";
import { renderVolatile } from "./prompts.ts";
import {
  judgeReply,
  MAX_TOKENS_RAISED,
  nudgeText,
  type ReplyVerdict,
  resumedMaxTokens,
  runsTools,
} from "./replies.ts";

/** What one run of a stage works with; `state` is changed in place by the tool calls. */
export interface StageRun {
  deps: PipelineDeps;
  workflow: Workflow;
  agentId: AgentId;
  settings: AgentConfig;
  model: string;
  state: ContentState;
  stable: string[];
  record: (exchange: Exchange) => void;
}

/** The run's fixed inputs, from the workflow and the config in force. */
export function stageRun(
  deps: PipelineDeps,
  workflow: Workflow,
  agentId: AgentId,
  record: (exchange: Exchange) => void,
): StageRun {
  return {
    deps,
    workflow,
    agentId,
    settings: withinOutputLimit(deps.config.agents[agentId], deps.prices.lookup(workflow.models[agentId])),
    model: workflow.models[agentId],
    state: workflow.state,
    stable: [deps.prompts.shared.text, deps.prompts.agents[agentId].stable.text],
    record,
  };
}

/**
 * The agent's settings for the model the workflow is pinned to: the config is checked against the model
 * configured now, and a workflow pinned earlier to a model with a smaller maximum output would otherwise
 * send a max_tokens the API refuses.
 */
export function withinOutputLimit(settings: AgentConfig, model: PricedModel | undefined): AgentConfig {
  const most = model?.maxOutputTokens;
  if (most === undefined || (settings.maxTokens <= most && settings.maxTokensCeiling <= most)) {
    return settings;
  }
  return {
    ...settings,
    maxTokens: Math.min(settings.maxTokens, most),
    maxTokensCeiling: Math.min(settings.maxTokensCeiling, most),
  };
}

/** Where the stage stands between two calls. */
export interface Progress {
  conversation: Conversation;
  /** The next call's max_tokens: once a cut-off tool call needed more, raised until the stage is done. */
  maxTokens: number;
  pausesInARow: number;
  failuresInARow: number;
  knownPrefix?: KnownPrefix;
  /** The previous reply's id: the next request's cache diagnostics compare with it. */
  previousMessageId?: string;
  /** The tool calls of the current turn's paused replies, answered when the turn ends. */
  pausedCalls: ToolCall[];
}

/** A stage run's start: the volatile block alone, and max_tokens as an earlier run of the stage left it. */
export function startProgress(run: StageRun): Progress {
  const { deps, agentId, settings } = run;
  const events = deps.store.events(run.workflow.id);
  return {
    conversation: startConversation(renderVolatile(deps.prompts, agentId, run.state)),
    maxTokens: resumedMaxTokens(events, agentId, settings.maxTokens, settings.maxTokensCeiling),
    pausesInARow: 0,
    failuresInARow: 0,
    pausedCalls: [],
  };
}

interface ToolCall {
  use: Anthropic.ToolUseBlock;
  result: ToolCallResult;
}

/** One call's reply, what to do with it (replies.ts), and its tool calls, run when the verdict says so. */
export interface Answer {
  verdict: ReplyVerdict;
  calls: ToolCall[];
  prompt?: KnownPrefix;
  messageId?: string;
}

/** One call of the stage: the tool calls are judged and applied before its ledger row is written. */
export async function ask(run: StageRun, turn: number, progress: Progress): Promise<Answer> {
  const { call, answer } = turnCall(run, turn, progress);
  const { message, prompt } = await callClaude(run.deps, call);
  return answer(message, prompt);
}

/**
 * The call of one turn, with the hooks that judge and apply its tool calls and persist them with its ledger
 * row, and `answer`, which reads what they made of the reply: for callClaude, and for a batch request booked
 * when its batch has ended (batch_turn.ts).
 */
export function turnCall(
  run: StageRun,
  turn: number,
  progress: Progress,
): { call: ClaudeCall; answer: (message: Anthropic.Message, prompt?: KnownPrefix) => Answer } {
  const { deps, agentId, settings, state, model } = run;
  const workflowId = run.workflow.id;
  const context = {
    agentId,
    maxTokens: progress.maxTokens,
    maxTokensCeiling: settings.maxTokensCeiling,
    pausesInARow: progress.pausesInARow,
  };
  let verdict: ReplyVerdict | undefined;
  let calls: ToolCall[] = [];
  const tools = toolDefinitions({ strict: settings.strict });
  const { volatile, turns } = progress.conversation;
  const call: ClaudeCall = {
    agentId,
    workflowId,
    turn,
    model,
    maxTokens: progress.maxTokens,
    cacheTtl: ttlsFor(deps, {
      agentId,
      model,
      settings,
      rates: deps.prices.require(model, `agent ${agentId}`).rates,
      sizes: segmentSizes({ tools, stable: run.stable, volatile, turns }),
    }),
    // Batch results may come back hours apart: diagnostics compare consecutive synchronous requests only.
    previousMessageId: settings.batch
      ? undefined
      : progress.previousMessageId ?? deps.ledger.lastMessageId(agentId, deps.backend),
    effort: settings.effort,
    thinking: settings.thinking,
    ...webTools(agentId, settings),
    tools,
    stable: run.stable,
    volatile,
    turns,
    signal: deps.signal,
    knownPrefix: progress.knownPrefix,
    judgeToolCalls: (response) => {
      verdict = judgeReply(response, context);
      // A reply that is retried or stops the stage changes nothing: its tool calls are neither run nor
      // counted (the ledger row says 0 made), so the accuracy figures never see them.
      if (!runsTools(verdict)) {
        calls = [];
      } else {
        const toolContext = {
          // What this stage's replies showed so far, this one's search results included.
          evidence: evidenceFrom([...assistantContents(progress.conversation.turns), response.content ?? []]),
          citations: settings.citations,
        };
        calls = toolUses(response).map((use) => ({
          use,
          result: runTool(agentId, state, use.name, use.input, toolContext),
        }));
      }
      return {
        made: calls.length,
        succeeded: calls.filter((c) => c.result.outcome === "ok").length,
        tools: calls.map(({ result }) => ({
          tool: result.tool,
          outcome: result.outcome,
          message: result.outcome === "ok" ? null : result.content,
        })),
      };
    },
    persist: () => deps.store.update(workflowId, { state }),
    record: run.record,
  };
  return {
    call,
    answer: (message, prompt) => ({
      verdict: verdict ?? judgeReply(message, context),
      calls,
      prompt,
      messageId: typeof message.id === "string" ? message.id : undefined,
    }),
  };
}

/** Web search (and fetch) for an agent that may search, as its settings give them. */
function webTools(agentId: AgentId, { webSearch }: AgentConfig): Partial<ClaudeCall> {
  if (!webSearch.enabled || !AGENTS[agentId].webSearch) return {};
  const { maxUses, version, allowedDomains, blockedDomains, fetch } = webSearch;
  return {
    webSearchMaxUses: maxUses,
    webSearchOptions: { type: version, allowedDomains, blockedDomains },
    webFetch: fetch.enabled
      ? { maxUses: fetch.maxUses, maxContentTokens: fetch.maxContentTokens, type: fetch.version }
      : undefined,
  };
}

/** The content of each assistant turn of the stage. */
function assistantContents(turns: Anthropic.MessageParam[]): unknown[][] {
  return turns.filter((t) => t.role === "assistant" && Array.isArray(t.content)).map((t) =>
    t.content as unknown[]
  );
}

function toolUses(message: Anthropic.Message): Anthropic.ToolUseBlock[] {
  return (message.content ?? []).filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
}

export type Step = { kind: "next"; progress: Progress } | { kind: "done" } | { kind: "stop"; reason: string };

/** What a reply makes of the stage: the next call's conversation and limits, its end, or a stop. */
export function afterReply(run: StageRun, progress: Progress, answer: Answer): Step {
  const { deps, agentId } = run;
  const { verdict } = answer;
  const knownPrefix = answer.prompt;
  const previousMessageId = answer.messageId ?? progress.previousMessageId;
  switch (verdict.kind) {
    case "stop":
      return verdict;
    case "retry":
      // The same request again: the cut-off reply is neither applied nor sent back.
      deps.store.event(run.workflow.id, agentId, MAX_TOKENS_RAISED, String(verdict.maxTokens));
      return {
        kind: "next",
        progress: { ...progress, knownPrefix, previousMessageId, maxTokens: verdict.maxTokens },
      };
    case "continue":
      deps.store.event(run.workflow.id, agentId, "pause_turn", String(progress.pausesInARow + 1));
      return {
        kind: "next",
        progress: {
          ...progress,
          knownPrefix,
          previousMessageId,
          conversation: withAssistant(progress.conversation, verdict.echo),
          pausesInARow: progress.pausesInARow + 1,
          pausedCalls: [...progress.pausedCalls, ...answer.calls],
        },
      };
    case "use":
      return endTurn(run, { ...progress, knownPrefix, previousMessageId }, answer.calls, verdict);
  }
}

/** A turn that ended: its tool calls answered, or a nudge when it made none and the stage is not done. */
function endTurn(
  run: StageRun,
  progress: Progress,
  latest: ToolCall[],
  verdict: Extract<ReplyVerdict, { kind: "use" }>,
): Step {
  const { agentId, settings } = run;
  const calls = [...progress.pausedCalls, ...latest];
  const failuresInARow = !calls.length
    ? progress.failuresInARow
    : calls.every((c) => c.result.outcome !== "ok")
    ? progress.failuresInARow + 1
    : 0;
  if (failuresInARow >= settings.maxConsecutiveFailures) {
    return {
      kind: "stop",
      reason: `${agentId}: ${failuresInARow} turns in a row whose tool calls all failed`,
    };
  }
  const missing = AGENTS[agentId].missing(run.state);
  if (missing === null) return { kind: "done" };
  const reply: Anthropic.ContentBlockParam[] = calls.map(({ use, result }) => ({
    type: "tool_result",
    tool_use_id: use.id,
    content: result.content,
    ...(result.outcome === "ok" ? {} : { is_error: true }),
  }));
  if (!calls.length) {
    run.deps.store.event(run.workflow.id, agentId, "nudge", missing);
    const empty = !verdict.echo.length && progress.pausesInARow === 0;
    reply.push({ type: "text", text: nudgeText(agentId, missing, { cutOff: verdict.cutOff, empty }) });
  }
  // An empty reply adds no assistant turn: the nudge then joins the user turn before it.
  const conversation = withUser(withAssistant(progress.conversation, verdict.echo), reply);
  // A nudge that joined the first message changed a block the previous request's count covers.
  const knownPrefix = conversation.volatile === progress.conversation.volatile
    ? progress.knownPrefix
    : undefined;
  return {
    kind: "next",
    progress: { ...progress, conversation, knownPrefix, failuresInARow, pausesInARow: 0, pausedCalls: [] },
  };
}
