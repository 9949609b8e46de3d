/**
 * What a stage's first message (the volatile block, prompts/<agent>/volatile.md) shows of the workflow,
 * read as a model reads it: the brief's JSON, the request's topic, notes and source files, and the
 * draft (its JSON, or its outline), so that a role acts on what it was shown instead of calling
 * get_brief and get_draft first. What the prompt does not show (a custom prompt without the
 * placeholders) stays unknown, and the role reads it with the tools. Pure.
 * @module
 */
import { BRIEF_FIELDS, type Section, type WorkflowRequest } from "../content/state.ts";
import type { BriefResult, DraftResult } from "./conversation.ts";

export interface PromptState {
  brief?: BriefResult;
  draft?: DraftResult;
}

const JSON_BLOCK = /```json\n([\s\S]*?)\n```/g;
const OUTLINE_LINE = /^- (s\d+): (.+) \(goal: (.*)\)$/gm;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** The request as PLACEHOLDERS.request renders it (`Topic:`, `Notes:`, `Source file "name":`). */
function requestOf(text: string): WorkflowRequest | undefined {
  const topic = text.match(/^Topic: (.+)$/m)?.[1];
  if (!topic) return undefined;
  // Each part runs to the next part, the next heading, or the end of the text.
  const end = String.raw`(?=\n\nSource file "|\n\n# |$)`;
  const notes = text.match(new RegExp(String.raw`(?:^|\n)Notes:\n([\s\S]*?)` + end))?.[1];
  const sources = [
    ...text.matchAll(new RegExp(String.raw`(?:^|\n)Source file "([^"\n]+)":\n([\s\S]*?)` + end, "g")),
  ]
    .map((m) => ({ name: m[1], text: m[2] }));
  return { topic, ...(notes ? { notes } : {}), ...(sources.length ? { sources } : {}) };
}

function sectionOf(id: string, heading: string, goal: string): Section {
  return { id, heading, goal, citations: [], notes: [], markdown: "" };
}

/**
 * The brief and the draft as the prompt shows them. An outline shows sections without their research or
 * text, as they are when the stage after the planner starts; a prompt with a brief and no draft at all
 * (the planner's) shows a workflow that has none yet.
 */
export function promptState(text: string): PromptState {
  const blocks = [...text.matchAll(JSON_BLOCK)].map((m) => parse(m[1])).filter(isObject);
  const out: PromptState = {};
  const brief = blocks.find((b) =>
    Object.keys(b).every((k) => (BRIEF_FIELDS as readonly string[]).includes(k))
  );
  if (brief) {
    const request = requestOf(text) ?? { topic: String(brief.title ?? "") };
    const missing = BRIEF_FIELDS.filter((f) => !brief[f]);
    out.brief = { brief: brief as BriefResult["brief"], missing, request };
  }
  const draft = blocks.find((b) => Array.isArray(b.sections) && typeof b.title === "string");
  const round = Number(text.match(/revision round (\d+) of/)?.[1] ?? 1);
  const outline = [...text.matchAll(OUTLINE_LINE)].map((m) => sectionOf(m[1], m[2], m[3]));
  if (draft) {
    out.draft = {
      title: draft.title as string,
      sections: draft.sections as Section[],
      revision_rounds: round - 1,
    };
  } else if (outline.length) {
    const title = text.match(/^Title: (.+)$/m)?.[1] ?? String(brief?.title ?? "");
    out.draft = { title, sections: outline, revision_rounds: 0 };
  } else if (text.includes("(no draft yet)") || brief) {
    out.draft = { draft: null };
  }
  return out;
}
