/**
 * The six agents as data: which tools they may mutate with (from the tool
 * table), what their stage is missing before it is done, and where the
 * workflow goes next. One generic loop (`loop.ts`) runs them all.
 * @module
 */
import type { AgentId } from "../config/schema.ts";
import { BRIEF_FIELDS, type ContentState } from "./state.ts";
import { BRIEF_RULES, type ToolName, toolsOf } from "./tools.ts";

/** Where a workflow can be: an agent's stage, or finished. */
export type Stage = AgentId | "done";

export interface AgentSpec {
  id: AgentId;
  mutates: ToolName[];
  /** What the stage still lacks, for the nudge; null when the done rule holds. */
  missing(state: ContentState): string | null;
  /** The stage after this one is done. */
  next(state: ContentState): Stage;
}

const list = (ids: string[]) => ids.join(", ");

export const AGENTS: Record<AgentId, AgentSpec> = {
  intake: {
    id: "intake",
    mutates: toolsOf("intake"),
    missing(state) {
      const bad = BRIEF_FIELDS.filter((f) => !BRIEF_RULES[f].safeParse(state.brief[f] ?? "").success);
      return bad.length ? `brief fields not yet valid: ${list(bad)}` : null;
    },
    next: () => "planner",
  },
  planner: {
    id: "planner",
    mutates: toolsOf("planner"),
    missing: (state) => state.draft?.sections.length ? null : "no draft with sections yet: call create_draft",
    next: () => "researcher",
  },
  researcher: {
    id: "researcher",
    mutates: toolsOf("researcher"),
    missing(state) {
      if (!state.draft) return "there is no draft";
      const bare = state.draft.sections.filter((s) => !s.citations.length && !s.notes.length).map((s) =>
        s.id
      );
      return bare.length ? `sections without a citation or note: ${list(bare)}` : null;
    },
    next: () => "writer",
  },
  writer: {
    id: "writer",
    mutates: toolsOf("writer"),
    missing(state) {
      if (!state.draft) return "there is no draft";
      const todo = state.draft.sections.filter((s) => !s.markdown || s.revision).map((s) => s.id);
      return todo.length ? `sections without text or with an open revision: ${list(todo)}` : null;
    },
    next: () => "editor",
  },
  editor: {
    id: "editor",
    mutates: toolsOf("editor"),
    missing: (state) =>
      state.decision ? null : "no decision yet: promote_to_published, request_revision, or flag_for_review",
    next: (state) =>
      state.decision?.kind === "promoted"
        ? "publisher"
        : state.decision?.kind === "revisions"
        ? "writer"
        : "done",
  },
  publisher: {
    id: "publisher",
    mutates: toolsOf("publisher"),
    missing: (state) => state.metadata ? null : "no metadata yet: call set_metadata",
    next: () => "done",
  },
};
