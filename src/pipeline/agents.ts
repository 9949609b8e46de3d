/**
 * The six agents as data, and the one place that says what an agent is: the tools it may mutate the
 * state with, its done rule (what its stage still lacks), what its stage's end does with the workflow,
 * its prompt files, its default model, and whether it may search the web. One generic loop (`loop.ts`)
 * runs them all; the tool handlers (`tools.ts`) report progress by the same rules.
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import { BRIEF_RULES } from "./brief_rules.ts";
import { BRIEF_FIELDS, type BriefField, type ContentState, type Draft } from "../content/state.ts";
import type { ToolName } from "./tools.ts";

/** Where a workflow can be: an agent's stage, or finished. */
export type Stage = AgentId | "done";

/** What the end of a stage whose done rule holds does with the workflow. */
export type StageEnd =
  | { kind: "advance"; to: AgentId }
  | { kind: "flag"; reason: string }
  | { kind: "publish" };

export interface AgentSpec {
  id: AgentId;
  /** The mutation tools only this agent may call; the read tools (get_brief, get_draft) belong to all. */
  tools: ToolName[];
  /** The done rule: what the stage still lacks, for the nudge; null when it holds. */
  missing(state: ContentState): string | null;
  /** Where the workflow goes once the done rule holds; may settle the state for the next stage. */
  end(state: ContentState): StageEnd;
  /** The prompt blocks, relative to the prompts folder (after `shared/stable.md`). */
  prompts: { stable: string; volatile: string };
  /** The model a config that names none gets (the field report's steady state: Opus where quality pays). */
  defaultModel: string;
  /** Whether the agent is offered server-side web search when the config enables it. */
  webSearch: boolean;
  /**
   * `maxTokens` when the config gives none: room for what one turn writes. The writer writes every open
   * section in one turn (a 1,000-word article is about 1,400 tokens, and Opus 4.7 plans aloud before it).
   */
  defaultMaxTokens: number;
}

const list = (ids: string[]) => ids.join(", ");
const promptsOf = (id: AgentId) => ({ stable: `${id}/stable.md`, volatile: `${id}/volatile.md` });

/** Brief fields without a valid value. */
export function invalidBriefFields(state: ContentState): BriefField[] {
  return BRIEF_FIELDS.filter((f) => !BRIEF_RULES[f].safeParse(state.brief[f] ?? "").success);
}

/** Ids of the sections with neither a citation nor a research note. */
export function unresearched(draft: Draft): string[] {
  return draft.sections.filter((s) => !s.citations.length && !s.notes.length).map((s) => s.id);
}

/** Ids of the sections without text or with an open revision. */
export function unwritten(draft: Draft): string[] {
  return draft.sections.filter((s) => !s.markdown || s.revision).map((s) => s.id);
}

export const AGENTS: Record<AgentId, AgentSpec> = {
  intake: {
    id: "intake",
    tools: ["update_brief_field"],
    missing(state) {
      const bad = invalidBriefFields(state);
      return bad.length ? `brief fields not yet valid: ${list(bad)}` : null;
    },
    end: () => ({ kind: "advance", to: "planner" }),
    prompts: promptsOf("intake"),
    defaultModel: "claude-opus-4-7",
    webSearch: false,
    defaultMaxTokens: 2048,
  },
  planner: {
    id: "planner",
    tools: ["create_draft", "add_section"],
    missing: (state) => state.draft?.sections.length ? null : "no draft with sections yet: call create_draft",
    end: () => ({ kind: "advance", to: "researcher" }),
    prompts: promptsOf("planner"),
    defaultModel: "claude-opus-4-7",
    webSearch: false,
    defaultMaxTokens: 2048,
  },
  researcher: {
    id: "researcher",
    tools: ["add_citation", "add_research_note"],
    missing(state) {
      if (!state.draft) return "there is no draft";
      const bare = unresearched(state.draft);
      return bare.length ? `sections without a citation or note: ${list(bare)}` : null;
    },
    end: () => ({ kind: "advance", to: "writer" }),
    prompts: promptsOf("researcher"),
    defaultModel: "claude-opus-4-7",
    webSearch: true,
    defaultMaxTokens: 2048,
  },
  writer: {
    id: "writer",
    tools: ["update_section"],
    missing(state) {
      if (!state.draft) return "there is no draft";
      const todo = unwritten(state.draft);
      return todo.length ? `sections without text or with an open revision: ${list(todo)}` : null;
    },
    end: () => ({ kind: "advance", to: "editor" }),
    prompts: promptsOf("writer"),
    defaultModel: "claude-opus-4-7",
    webSearch: false,
    defaultMaxTokens: 8192,
  },
  editor: {
    id: "editor",
    tools: ["request_revision", "flag_for_review", "promote_to_published"],
    missing: (state) =>
      state.decision ? null : "no decision yet: promote_to_published, request_revision, or flag_for_review",
    end(state) {
      if (state.decision?.kind === "flagged") return { kind: "flag", reason: state.decision.reason };
      if (state.decision?.kind === "revisions") {
        // The round is counted, and the next editor stage decides afresh.
        state.revisionRounds++;
        state.decision = null;
        return { kind: "advance", to: "writer" };
      }
      return { kind: "advance", to: "publisher" };
    },
    prompts: promptsOf("editor"),
    defaultModel: "claude-sonnet-4-6",
    webSearch: false,
    defaultMaxTokens: 2048,
  },
  publisher: {
    id: "publisher",
    tools: ["set_metadata"],
    missing: (state) => state.metadata ? null : "no metadata yet: call set_metadata",
    end: () => ({ kind: "publish" }),
    prompts: promptsOf("publisher"),
    defaultModel: "claude-sonnet-4-6",
    webSearch: false,
    defaultMaxTokens: 2048,
  },
};

/** The agent a mutation tool belongs to; undefined for a read tool (everyone's). */
export function ownerOf(tool: ToolName): AgentId | undefined {
  return Object.values(AGENTS).find((a) => a.tools.includes(tool))?.id;
}
