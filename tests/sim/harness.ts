/**
 * A tiny agent loop for the simulator's tests: requests laid out by the real
 * `buildRequest`, sent with the real SDK, tool calls classified and applied
 * with the real handlers of src/pipeline/tools.ts, tool_result blocks fed back,
 * and a nudge when a turn ends before the agent's done rule holds. It meets the
 * live API's quirks as a careful client does: a blank reply is asked again, a
 * paused turn is sent back as the last message, a turn cut at max_tokens with
 * nothing usable is asked again with twice the room, and a refusal or a full
 * context window stops the stage.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import { createClient } from "../../src/claude/client.ts";
import { buildRequest, type Turn } from "../../src/claude/request.ts";
import type { AgentId } from "../../src/config/schema.ts";
import {
  BRIEF_FIELDS,
  type ContentState,
  emptyState,
  type WorkflowRequest,
} from "../../src/content/state.ts";
import { BRIEF_RULES } from "../../src/pipeline/brief_rules.ts";
import { ownerOf } from "../../src/pipeline/agents.ts";
import {
  NO_EVIDENCE,
  schemaOf,
  TOOL_DEFINITIONS,
  ToolLogicError,
  type ToolName,
  TOOLS,
} from "../../src/pipeline/tools.ts";
import type { Simulator } from "../../src/sim/simulator.ts";
import { readConversation } from "../../src/sim/conversation.ts";
import type { ModelProfile } from "../../src/sim/profiles.ts";
import { createRng, type Rng } from "../../src/sim/rng.ts";
import { playRole, type RoleTurn } from "../../src/sim/roles.ts";

export type Outcome = "ok" | "wrong_tool" | "malformed" | "logic";

export function simClient(sim: Simulator, maxRetries = 0, timeoutMs?: number): Anthropic {
  return createClient({
    apiKey: "sim",
    baseURL: "http://sim.invalid",
    fetch: sim.fetch,
    maxRetries,
    timeoutMs,
  });
}

/** Classifies one tool call as the design says, applying it to `state` when it is ok. */
export function classify(
  agent: AgentId,
  name: string,
  input: unknown,
  state: ContentState,
): { outcome: Outcome; text: string } {
  if (!(name in TOOLS)) return { outcome: "wrong_tool", text: `there is no tool ${name}` };
  const tool = name as ToolName;
  const owner = ownerOf(tool);
  if (owner !== undefined && owner !== agent) {
    return { outcome: "wrong_tool", text: `${name} is the ${owner}'s tool` };
  }
  const parsed = schemaOf(tool).safeParse(input);
  if (!parsed.success) {
    return {
      outcome: "malformed",
      text: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    };
  }
  try {
    // deno-lint-ignore no-explicit-any
    return { outcome: "ok", text: (TOOLS[tool].handle as any)(state, parsed.data, NO_EVIDENCE) };
  } catch (error) {
    if (error instanceof ToolLogicError) return { outcome: "logic", text: error.message };
    throw error;
  }
}

/** What the agent still owes by its done rule (design §7), or undefined when it is done. */
export function missingFor(agent: AgentId, state: ContentState): string | undefined {
  const sections = state.draft?.sections ?? [];
  switch (agent) {
    case "intake": {
      const bad = BRIEF_FIELDS.filter((f) => !BRIEF_RULES[f].safeParse(state.brief[f] ?? "").success);
      return bad.length ? `brief fields missing or invalid: ${bad.join(", ")}` : undefined;
    }
    case "planner":
      return state.draft ? undefined : "there is no draft";
    case "researcher": {
      const left = sections.filter((s) => !s.citations.length && !s.notes.length).map((s) => s.id);
      return !state.draft || left.length ? `sections without research: ${left.join(", ")}` : undefined;
    }
    case "writer": {
      const left = sections.filter((s) => !s.markdown || s.revision).map((s) => s.id);
      return !state.draft || left.length ? `sections to write: ${left.join(", ")}` : undefined;
    }
    case "editor":
      return state.decision ? undefined : "promote, flag, or ask for revisions";
    case "publisher":
      return state.metadata && schemaOf("set_metadata").safeParse(state.metadata).success
        ? undefined
        : "set valid metadata";
  }
}

/** Stands in for the pipeline's prompt blocks: long enough to pass every model's cache minimum. */
export const SHARED_STABLE = "You are one agent of Pressroom, a six-agent content pipeline. " +
  "Use the tools; one call per turn unless reading. ".repeat(300);
export const agentStable = (agent: AgentId) =>
  `You are the ${agent}. ` + `Follow the ${agent}'s rules. `.repeat(60);

export interface StageOptions {
  agent: AgentId;
  model: string;
  state: ContentState;
  workflowId?: string;
  maxTurns?: number;
  maxTokens?: number;
  cacheTtl?: "5m" | "1h";
  webSearchMaxUses?: number;
  /** Called before each request, e.g. to move a fake clock. */
  beforeCall?: (turn: number) => void;
}

export interface StageResult {
  done: boolean;
  turns: number;
  nudges: number;
  /** Replies with nothing to send back (empty, or only whitespace), asked again. */
  blanks: number;
  /** Paused turns sent back to be continued. */
  pauses: number;
  /** Turns cut at max_tokens in a tool call (or before any text), asked again with more room. */
  cutRetries: number;
  /** Why the stage stopped early: `refusal` or `model_context_window_exceeded`. */
  stopped?: string;
  /** Mutation calls by outcome (reads are not counted). */
  outcomes: Record<Outcome, number>;
  messages: Anthropic.Message[];
}

export async function runStage(client: Anthropic, options: StageOptions): Promise<StageResult> {
  const { agent, model, state } = options;
  const turns: Turn[] = [];
  const result: StageResult = {
    done: false,
    turns: 0,
    nudges: 0,
    blanks: 0,
    pauses: 0,
    cutRetries: 0,
    outcomes: { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 },
    messages: [],
  };
  let maxTokens = options.maxTokens ?? 2048;
  for (let t = 0; t < (options.maxTurns ?? 40); t++) {
    options.beforeCall?.(t);
    const params = buildRequest({
      model,
      maxTokens,
      cacheTtl: options.cacheTtl ?? "5m",
      stable: [SHARED_STABLE, agentStable(agent)],
      volatile: `Workflow ${options.workflowId ?? "wf-test"}. Stage: ${agent}.`,
      turns,
      tools: TOOL_DEFINITIONS,
      webSearchMaxUses: options.webSearchMaxUses,
    });
    const message = await client.messages.create(params, {
      headers: { "x-pressroom-agent": agent, "x-pressroom-workflow": options.workflowId ?? "wf-test" },
    });
    result.turns++;
    result.messages.push(message);
    const blank = message.content.every((b) => b.type === "text" && !/\S/.test(b.text));
    const cutCall = message.stop_reason === "max_tokens" &&
      (blank || message.content.some((b) => b.type === "tool_use"));
    if (cutCall) {
      maxTokens = Math.min(maxTokens * 2, MAX_TOKENS_CEILING);
      result.cutRetries++;
      continue;
    }
    if (message.stop_reason === "refusal" || message.stop_reason === "model_context_window_exceeded") {
      result.stopped = message.stop_reason;
      return result;
    }
    if (blank) {
      result.blanks++;
      continue;
    }
    const last = turns.at(-1);
    if (last?.role === "assistant") {
      // The rest of a paused turn joins it: one assistant turn, as the API sees it.
      last.content = [
        ...(last.content as Anthropic.ContentBlockParam[]),
        ...message.content,
      ] as Anthropic.ContentBlockParam[];
    } else turns.push({ role: "assistant", content: message.content as Anthropic.ContentBlockParam[] });
    if (message.stop_reason === "pause_turn") {
      result.pauses++;
      continue;
    }
    const uses = message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    if (!uses.length) {
      const missing = missingFor(agent, state);
      if (!missing) {
        result.done = true;
        return result;
      }
      result.nudges++;
      turns.push({ role: "user", content: `You are not done yet: ${missing}. Carry on with the tools.` });
      continue;
    }
    const results: Anthropic.ToolResultBlockParam[] = uses.map((use) => {
      const { outcome, text } = classify(agent, use.name, use.input, state);
      if (use.name !== "get_brief" && use.name !== "get_draft") result.outcomes[outcome]++;
      return {
        type: "tool_result",
        tool_use_id: use.id,
        content: text,
        ...(outcome === "ok" ? {} : { is_error: true }),
      };
    });
    turns.push({ role: "user", content: results });
  }
  return result;
}

/** The most room the harness gives a turn cut at max_tokens. */
export const MAX_TOKENS_CEILING = 64_000;

export type Models = Record<AgentId, string>;

export const ALL_SONNET: Models = {
  intake: "claude-sonnet-4-6",
  planner: "claude-sonnet-4-6",
  researcher: "claude-sonnet-4-6",
  writer: "claude-sonnet-4-6",
  editor: "claude-sonnet-4-6",
  publisher: "claude-sonnet-4-6",
};

export interface PipelineResult {
  state: ContentState;
  end: "published" | "flagged" | "stuck";
  stages: { agent: AgentId; result: StageResult }[];
}

/** intake → planner → researcher → writer → editor (→ writer, at most 2 rounds) → publisher. */
export async function runPipeline(
  client: Anthropic,
  request: WorkflowRequest,
  models: Models,
  workflowId = "wf-test",
  extra: Partial<StageOptions> = {},
): Promise<PipelineResult> {
  const state = emptyState(request);
  const stages: PipelineResult["stages"] = [];
  const run = async (agent: AgentId) => {
    const result = await runStage(client, { ...extra, agent, model: models[agent], state, workflowId });
    stages.push({ agent, result });
    return result.done;
  };
  for (const agent of ["intake", "planner", "researcher", "writer"] as const) {
    if (!await run(agent)) return { state, end: "stuck", stages };
  }
  for (;;) {
    state.decision = null;
    if (!await run("editor")) return { state, end: "stuck", stages };
    const decision = state.decision as ContentState["decision"];
    if (decision?.kind === "flagged") return { state, end: "flagged", stages };
    if (decision?.kind === "promoted") break;
    state.revisionRounds++;
    if (!await run("writer")) return { state, end: "stuck", stages };
  }
  if (!await run("publisher")) return { state, end: "stuck", stages };
  return { state, end: "published", stages };
}

export function addOutcomes(into: Record<Outcome, number>, from: Record<Outcome, number>): void {
  for (const k of Object.keys(from) as Outcome[]) into[k] += from[k];
}

// ---- driving roles directly, without HTTP ----

type Msg = { role: "user" | "assistant"; content: unknown };

/** The messages of a stage that has just read the state: volatile block, the reads, their results. */
export function afterReads(agent: AgentId, state: ContentState): Msg[] {
  const reads = agent === "intake" || agent === "publisher" ? ["get_brief"] : ["get_brief", "get_draft"];
  return [
    { role: "user", content: [{ type: "text", text: `Stage: ${agent}.` }] },
    {
      role: "assistant",
      content: reads.map((name, i) => ({ type: "tool_use", id: `toolu_r${i}`, name, input: {} })),
    },
    {
      role: "user",
      content: reads.map((name, i) => ({
        type: "tool_result",
        tool_use_id: `toolu_r${i}`,
        content: classify(agent, name, {}, state).text,
      })),
    },
  ];
}

export function play(
  agent: AgentId,
  messages: Msg[],
  profile: ModelProfile,
  rng: Rng,
  strictTools?: Map<string, unknown>,
): RoleTurn {
  return playRole({
    agent,
    conversation: readConversation(messages),
    profile,
    rng,
    strictTools,
  });
}

/** Runs one stage against `state` by calling the role directly; returns what happened. */
export function driveDirect(
  agent: AgentId,
  state: ContentState,
  profile: ModelProfile,
  seed: number,
  maxTurns = 60,
): { done: boolean; turns: number; outcomes: Record<Outcome, number>; failures: string[] } {
  const rng = createRng(seed);
  const messages: Msg[] = [{ role: "user", content: [{ type: "text", text: `Stage: ${agent}.` }] }];
  const outcomes: Record<Outcome, number> = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
  const failures: string[] = [];
  for (let turn = 1; turn <= maxTurns; turn++) {
    const played = play(agent, messages, profile, rng);
    const ids = played.calls.map((_, i) => `toolu_${turn}_${i}`);
    messages.push({
      role: "assistant",
      content: [
        ...(played.text ? [{ type: "text", text: played.text }] : []),
        ...played.calls.map((c, i) => ({ type: "tool_use", id: ids[i], name: c.name, input: c.input })),
      ],
    });
    if (!played.calls.length) {
      const missing = missingFor(agent, state);
      if (!missing) return { done: true, turns: turn, outcomes, failures };
      messages.push({ role: "user", content: `Not done: ${missing}` });
      continue;
    }
    messages.push({
      role: "user",
      content: played.calls.map((c, i) => {
        const { outcome, text } = classify(agent, c.name, c.input, state);
        if (c.name !== "get_brief" && c.name !== "get_draft") outcomes[outcome]++;
        if (outcome !== "ok") {
          failures.push(`${c.name} ${outcome}: ${text} ${JSON.stringify(c.input).slice(0, 200)}`);
        }
        return {
          type: "tool_result",
          tool_use_id: ids[i],
          content: text,
          ...(outcome === "ok" ? {} : { is_error: true }),
        };
      }),
    });
  }
  return { done: false, turns: maxTurns, outcomes, failures };
}

export const REQUEST: WorkflowRequest = {
  topic: "Home composting for apartment dwellers",
  notes: "Audience: renters with no garden\n- Worm bins work indoors\n- Bokashi handles cooked scraps\n" +
    "- Smell is a solved problem\nSee https://www.epa.gov/recycle/composting-home and " +
    "https://extension.example.edu/vermicomposting. About 900 words.",
};

/** A state ready for `agent`'s stage, built with the real handlers. */
export function stateFor(agent: AgentId, request: WorkflowRequest = REQUEST): ContentState {
  const state = emptyState(request);
  const apply = (who: AgentId, name: ToolName, input: unknown) => {
    const r = classify(who, name, input, state);
    if (r.outcome !== "ok") throw new Error(`fixture: ${name} ${r.outcome}: ${r.text}`);
  };
  if (agent === "intake") return state;
  const brief = {
    title: "Home Composting for Apartment Dwellers",
    audience: "Renters with no garden",
    angle: "Composting works in a small flat if you pick the right method",
    key_points:
      "Worm bins work indoors\nBokashi handles cooked scraps\nSmell is a solved problem\nStart small",
    keywords: "composting, apartment, worm bin, bokashi",
    tone: "friendly and practical",
    target_words: "900",
    sources: "https://www.epa.gov/recycle/composting-home",
  };
  for (const [field, value] of Object.entries(brief)) apply("intake", "update_brief_field", { field, value });
  if (agent === "planner") return state;
  apply("planner", "create_draft", {
    title: brief.title,
    sections: brief.key_points.split("\n").map((heading) => ({
      heading,
      goal: `Explain ${heading.toLowerCase()}`,
    })),
  });
  if (agent === "researcher") return state;
  for (const s of state.draft!.sections) {
    apply("researcher", "add_research_note", { section_id: s.id, note: "A fact." });
  }
  if (agent === "writer") return state;
  for (const s of state.draft!.sections) {
    apply("writer", "update_section", { section_id: s.id, markdown: `Text for ${s.heading}.` });
  }
  if (agent === "editor") return state;
  apply("editor", "promote_to_published", {});
  return state;
}
