/**
 * Reads a request's messages the way a model would: pairs each assistant
 * `tool_use` with its `tool_result` (success = no `is_error`), keeps the last
 * get_brief / get_draft results (parsed, in the shapes tools.ts returns), and
 * replays the successful mutations made since then with the real handlers, so a
 * role knows the current state from the conversation alone. Pure.
 * @module
 */
import { type ContentState, emptyState, type Section, type WorkflowRequest } from "../content/state.ts";
import type { BriefField } from "../content/state.ts";
import { NO_EVIDENCE, schemaOf, type ToolContext, type ToolName, TOOLS } from "../pipeline/tools.ts";
import { promptState } from "./prompt_state.ts";

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
  /** The index of the assistant message that made it. */
  message: number;
  /** The tool_result that answered it, once one has. */
  result?: { text: string; isError: boolean };
}

/** What get_brief returns. */
export interface BriefResult {
  brief: Partial<Record<BriefField, string>>;
  missing: BriefField[];
  request: WorkflowRequest;
}

/** What get_draft returns. */
export type DraftResult = { draft: null } | { title: string; sections: Section[]; revision_rounds: number };

export interface Read<T> {
  call: ToolCall;
  value: T;
}

export interface Conversation {
  /** Every client tool call, in order. */
  calls: ToolCall[];
  brief?: Read<BriefResult>;
  draft?: Read<DraftResult>;
  /** Server-side web searches made so far in this conversation. */
  webSearches: number;
}

const READS = new Set(["get_brief", "get_draft"]);

export const succeeded = (call: ToolCall): boolean => call.result !== undefined && !call.result.isError;

/** The successful calls other than reads after `after` (all of them when it is undefined). */
export function mutationsSince(conversation: Conversation, after?: ToolCall): ToolCall[] {
  const start = after ? conversation.calls.indexOf(after) + 1 : 0;
  return conversation.calls.slice(start).filter((c) => succeeded(c) && !READS.has(c.name));
}

interface Block {
  type?: string;
  id?: string;
  name?: string;
  input?: unknown;
  text?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

function blocksOf(content: unknown): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter((b): b is Block => !!b && typeof b === "object") : [];
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content).map((b) => (b.type === "text" ? b.text ?? "" : "")).join("\n");
}

function parse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * The conversation as a model reads it; `system` is the request's system text, where a layout may put the
 * workflow's context instead of the first message.
 */
export function readConversation(
  messages: readonly { role?: string; content?: unknown }[],
  system = "",
): Conversation {
  const calls: ToolCall[] = [];
  const byId = new Map<string, ToolCall>();
  let webSearches = 0;
  messages.forEach((message, index) => {
    const blocks = blocksOf(message.content);
    if (message.role === "assistant") {
      for (const b of blocks) {
        if (b.type === "server_tool_use" && b.name === "web_search") webSearches++;
        if (b.type !== "tool_use" || typeof b.id !== "string" || typeof b.name !== "string") continue;
        const call: ToolCall = { id: b.id, name: b.name, input: b.input, message: index };
        calls.push(call);
        byId.set(call.id, call);
      }
    } else {
      for (const b of blocks) {
        const call = b.type === "tool_result" && b.tool_use_id ? byId.get(b.tool_use_id) : undefined;
        if (call) call.result = { text: resultText(b.content), isError: b.is_error === true };
      }
    }
  });
  // What the stage's first message shows counts as a read made before any call.
  const first = messages[0]?.role === "user" ? blocksOf(messages[0].content) : [];
  const shown = promptState(
    [system, ...first.map((b) => (b.type === "text" ? b.text ?? "" : ""))].join("\n"),
  );
  const fromPrompt = <T>(name: string, value: T | undefined): Read<T> | undefined =>
    value === undefined ? undefined : { call: { id: "prompt", name, input: {}, message: 0 }, value };
  const lastRead = <T>(name: string, valid: (v: T) => boolean, shownValue?: T): Read<T> | undefined => {
    for (let i = calls.length - 1; i >= 0; i--) {
      const call = calls[i];
      if (call.name !== name || !succeeded(call)) continue;
      const value = parse<T>(call.result!.text);
      if (value !== undefined && valid(value)) return { call, value };
    }
    return fromPrompt(name, shownValue);
  };
  return {
    calls,
    brief: lastRead<BriefResult>(
      "get_brief",
      (v) => !!v && typeof v.brief === "object" && Array.isArray(v.missing),
      shown.brief,
    ),
    draft: lastRead<DraftResult>(
      "get_draft",
      (v) => !!v && ("draft" in v || Array.isArray(v.sections)),
      shown.draft,
    ),
    webSearches,
  };
}

/** Mutations the last get_draft shows already (when made before it), by tool. */
const DRAFT_TOOLS = new Set<string>([
  "create_draft",
  "add_section",
  "add_citation",
  "add_research_note",
  "update_section",
  "request_revision",
]);

/**
 * The state as the conversation shows it: the last reads, plus every successful
 * mutation the reads cannot show yet, replayed with the real handlers.
 */
export function knownState(conversation: Conversation): ContentState {
  const { brief, draft } = conversation;
  const state = emptyState(brief?.value.request ?? { topic: "" });
  if (brief) state.brief = { ...brief.value.brief };
  if (draft && "sections" in draft.value) {
    const sections = structuredClone(draft.value.sections);
    const nextId = 1 + Math.max(0, ...sections.map((s) => Number(s.id.slice(1)) || 0));
    state.draft = { title: draft.value.title, sections, nextId };
    state.revisionRounds = draft.value.revision_rounds ?? 0;
  }
  const index = (read?: Read<unknown>) => (read ? conversation.calls.indexOf(read.call) : -1);
  for (const call of mutationsSince(conversation)) {
    const at = conversation.calls.indexOf(call);
    const seen = (call.name === "update_brief_field" && at < index(brief)) ||
      (DRAFT_TOOLS.has(call.name) && at < index(draft));
    if (seen) {
      if (call.name === "request_revision") state.decision = { kind: "revisions" };
      continue;
    }
    const name = call.name as ToolName;
    if (!(name in TOOLS)) continue;
    const args = schemaOf(name).safeParse(call.input);
    if (!args.success) continue;
    try {
      // Unchecked: the real state already took it, whatever its citations' provenance.
      // deno-lint-ignore no-explicit-any
      (TOOLS[name].handle as (s: ContentState, a: any, c: ToolContext) => string)(state, args.data, {
        ...NO_EVIDENCE,
        citations: "allow",
      });
    } catch {
      // The real state took it; ours may lack what it needed (a read never made). Nothing to replay.
    }
  }
  return state;
}
