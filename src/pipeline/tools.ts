/**
 * The twelve tools: one zod schema and one handler each, offered identically
 * to every agent (so all agents share one cached prefix). Which agent may call
 * a mutation tool is said in `agents.ts`; the read tools belong to all.
 * @module
 */
import { z } from "zod";
import { invalidBriefFields, unresearched, unwritten } from "./agents.ts";
import { boundedText, BRIEF_RULES } from "./brief_rules.ts";
import type { ToolDefinition } from "../claude/request.ts";
import { toStrictSchema } from "../claude/strict_schema.ts";
import { type CitationMode, type Evidence, judgeCitation, SOURCE_PREFIX } from "./provenance.ts";
import { normalizeUrl } from "../output/markdown.ts";
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from "../output/paths.ts";
import {
  BRIEF_FIELDS,
  type ContentState,
  type Draft,
  MAX_REVISION_ROUNDS,
  type Section,
} from "../content/state.ts";

/** The state refuses a valid call: unknown section, duplicate, out of order. */
export class ToolLogicError extends Error {
  override name = "ToolLogicError";
}

const sectionId = z.string().regex(/^s[1-9]\d{0,3}$/, "a section id looks like s1, s2, …");

const schemas = {
  update_brief_field: z.strictObject({ field: z.enum(BRIEF_FIELDS), value: z.string() }).superRefine(
    (args, ctx) => {
      const result = BRIEF_RULES[args.field].safeParse(args.value);
      if (!result.success) {
        ctx.addIssue({
          code: "custom",
          path: ["value"],
          message: `${args.field}: ${result.error.issues[0].message}`,
        });
      }
    },
  ),
  get_brief: z.strictObject({}),
  create_draft: z.strictObject({
    title: boundedText(3, 150),
    sections: z.array(z.strictObject({ heading: boundedText(2, 120), goal: boundedText(5, 500) })).min(3).max(
      12,
    ),
  }),
  add_section: z.strictObject({
    heading: boundedText(2, 120),
    goal: boundedText(5, 500),
    after: sectionId.optional(),
  }),
  add_citation: z.strictObject({
    section_id: sectionId,
    url: z.union([
      z.url({ protocol: /^https?$/, hostname: z.regexes.domain }).max(2000),
      z.string().regex(/^source:\S.{0,199}$/, "source:<name> for one of the request's source files"),
    ]),
    title: boundedText(1, 300),
    quote: boundedText(1, 1000).optional(),
  }),
  add_research_note: z.strictObject({ section_id: sectionId, note: boundedText(3, 2000) }),
  get_draft: z.strictObject({}),
  update_section: z.strictObject({ section_id: sectionId, markdown: boundedText(1, 20_000) }),
  request_revision: z.strictObject({ section_id: sectionId, instructions: boundedText(5, 1000) }),
  flag_for_review: z.strictObject({ reason: boundedText(5, 1000) }),
  promote_to_published: z.strictObject({}),
  set_metadata: z.strictObject({
    slug: z.string().max(SLUG_MAX_LENGTH).regex(SLUG_PATTERN, "lowercase words joined by hyphens"),
    description: boundedText(1, 300),
    tags: z.array(boundedText(1, 40).refine((t) => !/[,\n]/.test(t), { message: "a tag has no commas" })).min(
      1,
    ).max(
      8,
    ),
  }),
} as const;

export type ToolName = keyof typeof schemas;
type Args<T extends ToolName> = z.output<typeof schemas[T]>;

/** What a tool call is judged with beside the state: what the stage's conversation showed, and the config. */
export interface ToolContext {
  evidence: Evidence;
  /** agents.<id>.citations: what becomes of a citation nothing in the stage backs. */
  citations: CitationMode;
}

/** No search results seen, unverified citations kept and marked: the default. */
export const NO_EVIDENCE: ToolContext = { evidence: { results: new Map() }, citations: "flag" };

interface ToolSpec<T extends ToolName> {
  description: string;
  /** Applies the call to `state` (validating before changing anything) and returns the result text. */
  handle(state: ContentState, args: Args<T>, context: ToolContext): string;
}

function section(draft: Draft | null, id: string): Section {
  if (!draft) throw new ToolLogicError("there is no draft yet: the planner creates it");
  const found = draft.sections.find((s) => s.id === id);
  if (!found) {
    throw new ToolLogicError(
      `no section ${id}; the sections are ${draft.sections.map((s) => s.id).join(", ")}`,
    );
  }
  return found;
}

function newSection(draft: Draft, heading: string, goal: string): Section {
  return { id: `s${draft.nextId++}`, heading, goal, citations: [], notes: [], markdown: "" };
}

const outline = (draft: Draft) => draft.sections.map((s) => `${s.id}: ${s.heading}`).join("; ");

export const TOOLS: { [T in ToolName]: ToolSpec<T> } = {
  update_brief_field: {
    description: `Set one field of the article brief. Fields: ${BRIEF_FIELDS.join(", ")}. ` +
      "key_points: one per line; keywords: comma-separated; target_words: the number of words as a string, " +
      'from "200" to "5000".',
    handle(state, { field, value }) {
      state.brief[field] = BRIEF_RULES[field].parse(value); // trimmed, line ends normalized
      const missing = invalidBriefFields(state);
      return `${field} set. ${
        missing.length ? `Still missing: ${missing.join(", ")}.` : "The brief is complete."
      }`;
    },
  },
  get_brief: {
    description: "Read the brief as it stands, the fields still missing, and the original request.",
    handle(state) {
      const missing = BRIEF_FIELDS.filter((f) => !state.brief[f]);
      return JSON.stringify({ brief: state.brief, missing, request: state.request });
    },
  },
  create_draft: {
    description:
      "Create the draft with its title and 3 to 12 sections (heading and goal each). Returns the section ids.",
    handle(state, { title, sections }) {
      if (state.draft) {
        throw new ToolLogicError(`a draft already exists (${outline(state.draft)}); use add_section`);
      }
      const headings = sections.map((s) => s.heading.toLowerCase());
      const repeated = headings.find((h, i) => headings.indexOf(h) !== i);
      if (repeated) {
        throw new ToolLogicError(`two sections are headed "${repeated}"; give each its own heading`);
      }
      const draft: Draft = { title, sections: [], nextId: 1 };
      for (const s of sections) draft.sections.push(newSection(draft, s.heading, s.goal));
      state.draft = draft;
      return `Draft created. Sections: ${outline(draft)}.`;
    },
  },
  add_section: {
    description:
      "Add a section to the draft, at the end or after the section id given in `after`. Returns its id.",
    handle(state, { heading, goal, after }) {
      const draft = state.draft;
      if (!draft) throw new ToolLogicError("there is no draft yet: call create_draft first");
      if (draft.sections.length >= 12) {
        throw new ToolLogicError("the draft already has 12 sections, the most allowed");
      }
      if (draft.sections.some((s) => s.heading.toLowerCase() === heading.toLowerCase())) {
        throw new ToolLogicError(`a section is already headed "${heading}"`);
      }
      const index = after === undefined
        ? draft.sections.length
        : draft.sections.indexOf(section(draft, after)) + 1;
      const added = newSection(draft, heading, goal);
      draft.sections.splice(index, 0, added);
      return `Section ${added.id} added. Sections: ${outline(draft)}.`;
    },
  },
  add_citation: {
    description:
      "Attach a source to a section: an http or https URL a web search returned in this conversation, " +
      "or source:<name> for one of the request's source files; its title; an optional quote, which must be " +
      "in the text the search result cites or in the source file.",
    handle(state, { section_id, url, title, quote }, { evidence, citations }) {
      const target = section(state.draft, section_id);
      if (target.citations.some((c) => normalizeUrl(c.url) === normalizeUrl(url))) {
        throw new ToolLogicError(`${section_id} already cites ${url}`);
      }
      const sources = state.request.sources ?? [];
      if (url.startsWith(SOURCE_PREFIX) && !sources.some((s) => `${SOURCE_PREFIX}${s.name}` === url)) {
        throw new ToolLogicError(
          `the request has no source file "${url.slice(SOURCE_PREFIX.length)}"; ` +
            (sources.length
              ? `its sources are ${sources.map((s) => SOURCE_PREFIX + s.name).join(", ")}`
              : "it has none"),
        );
      }
      if (citations === "allow") {
        // Unchecked: kept as given, with no provenance to mark it by.
        target.citations.push(quote ? { url, title, quote } : { url, title });
        return `Citation added to ${section_id}. ${uncovered(state.draft!)}`;
      }
      const judged = judgeCitation({ url, quote }, evidence, state.request);
      if (judged.provenance === "unverified" && citations === "require") {
        throw new ToolLogicError(
          `${url} did not appear in a web search result in this conversation: search first and cite an address ` +
            "it returned, or write what you know as a research note instead (add_research_note)",
        );
      }
      const kept = judged.droppedQuote === undefined ? quote : undefined;
      target.citations.push({
        url,
        title,
        ...(kept ? { quote: kept } : {}),
        provenance: judged.provenance,
        ...(judged.droppedQuote ? { droppedQuote: judged.droppedQuote } : {}),
      });
      const drop = judged.droppedQuote
        ? " Its quote was not found in the text cited from that source, so it was dropped."
        : "";
      return `Citation added to ${section_id} (${judged.provenance}).${drop} ${uncovered(state.draft!)}`;
    },
  },
  add_research_note: {
    description: "Attach a research note (facts, figures, angles to use) to a section.",
    handle(state, { section_id, note }) {
      section(state.draft, section_id).notes.push(note);
      return `Note added to ${section_id}. ${uncovered(state.draft!)}`;
    },
  },
  get_draft: {
    description:
      "Read the draft: title, and each section's id, heading, goal, citations, notes, text and open revision.",
    handle(state) {
      if (!state.draft) return JSON.stringify({ draft: null });
      const { title, sections } = state.draft;
      return JSON.stringify({ title, sections, revision_rounds: state.revisionRounds });
    },
  },
  update_section: {
    description:
      "Write (or rewrite) a section's text in Markdown, without its heading. Answers its open revision.",
    handle(state, { section_id, markdown }) {
      const target = section(state.draft, section_id);
      target.markdown = markdown;
      delete target.revision;
      const left = unwritten(state.draft!);
      return `${section_id} written. ${
        left.length ? `Still to write: ${left.join(", ")}.` : "Every section is written."
      }`;
    },
  },
  request_revision: {
    description:
      `Send a section back to the writer with instructions (at most ${MAX_REVISION_ROUNDS} rounds per article).`,
    handle(state, { section_id, instructions }) {
      const target = section(state.draft, section_id);
      if (state.decision?.kind === "promoted" || state.decision?.kind === "flagged") {
        throw new ToolLogicError(`the article is already ${state.decision.kind}`);
      }
      if (state.revisionRounds >= MAX_REVISION_ROUNDS) {
        throw new ToolLogicError(
          `${MAX_REVISION_ROUNDS} revision rounds are used up: promote_to_published or flag_for_review`,
        );
      }
      if (!target.markdown) throw new ToolLogicError(`${section_id} has no text yet to revise`);
      target.revision = instructions;
      state.decision = { kind: "revisions" };
      return `Revision requested on ${section_id}.`;
    },
  },
  flag_for_review: {
    description: "Stop the article and put it in the review queue for a person, with the reason.",
    handle(state, { reason }) {
      if (state.decision?.kind === "promoted") throw new ToolLogicError("the article is already promoted");
      state.decision = { kind: "flagged", reason };
      return "Flagged for review.";
    },
  },
  promote_to_published: {
    description: "Approve the article for publishing. Every section must have text and no open revision.",
    handle(state) {
      const draft = state.draft;
      if (!draft) throw new ToolLogicError("there is no draft");
      if (state.decision?.kind === "flagged") throw new ToolLogicError("the article is already flagged");
      const unwritten = draft.sections.filter((s) => !s.markdown).map((s) => s.id);
      if (unwritten.length) throw new ToolLogicError(`sections without text: ${unwritten.join(", ")}`);
      const open = draft.sections.filter((s) => s.revision).map((s) => s.id);
      if (open.length) throw new ToolLogicError(`revisions still open on ${open.join(", ")}`);
      state.decision = { kind: "promoted" };
      return "Promoted: the publisher takes it from here.";
    },
  },
  set_metadata: {
    description:
      `Set the article's slug (lowercase words joined by hyphens, at most ${SLUG_MAX_LENGTH} characters), ` +
      "description (at most 300 characters) and 1 to 8 tags.",
    handle(state, { slug, description, tags }) {
      state.metadata = { slug, description, tags };
      return "Metadata set.";
    },
  },
};

function uncovered(draft: Draft): string {
  const left = unresearched(draft);
  return left.length ? `Sections without research: ${left.join(", ")}.` : "Every section has research.";
}

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

export function schemaOf(name: ToolName): z.ZodType {
  return schemas[name];
}

/**
 * A tool's JSON Schema for the API, from its zod schema. The output side of the schema carries the
 * rules a model can follow (length limits, item counts, patterns); the input side of a trimmed text
 * field would lose them.
 */
function inputSchema(name: ToolName): ToolDefinition["input_schema"] {
  const { $schema: _, ...schema } = z.toJSONSchema(schemas[name], { io: "output" }) as Record<
    string,
    unknown
  >;
  return schema as ToolDefinition["input_schema"];
}

/** The twelve tool definitions for the API, identical for every agent, so that all share one cached prefix. */
export const TOOL_DEFINITIONS: ToolDefinition[] = TOOL_NAMES.map((name) => ({
  name,
  description: TOOLS[name].description,
  input_schema: inputSchema(name),
}));

/**
 * The same twelve with `strict: true`: the API guarantees names, types, required fields and enums,
 * and takes only what strict mode supports; the dropped rules (lengths, item counts) stay in each
 * tool's own validation. Agents on strict share their own cached prefix.
 */
export const STRICT_TOOL_DEFINITIONS: ToolDefinition[] = TOOL_DEFINITIONS.map((tool) => ({
  ...tool,
  input_schema: toStrictSchema(tool.input_schema),
  strict: true,
}));

/** The definitions an agent is offered. */
export function toolDefinitions(options: { strict: boolean }): ToolDefinition[] {
  return options.strict ? STRICT_TOOL_DEFINITIONS : TOOL_DEFINITIONS;
}
