/**
 * The article and the working draft as Markdown, and publishing an article
 * under `published/<slug>.md` without ever overwriting a file.
 * @module
 */
import { BRIEF_FIELDS, type Citation, type ContentState, type Section } from "../content/state.ts";
import { writeFileExclusive } from "./atomic.ts";
import { OutputStateError } from "./errors.ts";
import { serializeFrontMatter, splitFrontMatter } from "./front_matter.ts";
import {
  blockQuote,
  citationItem,
  closeOpenFences,
  escapeInline,
  listItem,
  normalizeUrl,
} from "./markdown.ts";
import { assertSlug, dataPaths } from "./paths.ts";

export interface ArticleExtra {
  workflowId: string;
  /** Agent id -> model pinned for it. */
  models: Record<string, string>;
  /** The workflow's total cost in dollars. */
  costUsd: number;
  /** ISO 8601 timestamp. */
  publishedAt: string;
}

/** Most suffixes tried for a taken slug (`<slug>-2.md` … `<slug>-1000.md`). */
export const MAX_SLUG_SUFFIX = 1000;

/** All citations of the draft in reading order, each URL once. */
function sources(sections: Section[]): Citation[] {
  const seen = new Set<string>();
  const out: Citation[] = [];
  for (const section of sections) {
    for (const citation of section.citations) {
      const key = normalizeUrl(citation.url);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(citation);
    }
  }
  return out;
}

function join(blocks: string[]): string {
  return blocks.filter((b) => b !== "").join("\n\n") + "\n";
}

/**
 * The published article: front matter (title, description, tags, workflow id,
 * models, cost, published_at), `# title`, every section as `## heading` and
 * its Markdown, then `## Sources` listing each cited URL once. Headings and
 * link titles are escaped to one literal line. Needs a draft and metadata
 * (throws `OutputStateError` otherwise).
 */
export function renderArticle(state: ContentState, extra: ArticleExtra): string {
  const draft = state.draft;
  if (!draft) throw new OutputStateError("cannot render the article: there is no draft");
  if (!state.metadata) {
    throw new OutputStateError("cannot render the article: set_metadata has not succeeded");
  }
  const title = draft.title || state.brief.title || state.request.topic;
  const frontMatter = serializeFrontMatter({
    title,
    description: state.metadata.description,
    tags: [...state.metadata.tags],
    workflow_id: extra.workflowId,
    models: { ...extra.models },
    cost_usd: extra.costUsd,
    published_at: extra.publishedAt,
    sources: sources(draft.sections).map((c) => ({
      title: c.title,
      url: c.url,
      provenance: c.provenance ?? "unrecorded",
    })),
  });
  const blocks = [`# ${escapeInline(title)}`];
  for (const section of draft.sections) {
    blocks.push(`## ${escapeInline(section.heading)}`);
    blocks.push(closeOpenFences(section.markdown.trim()));
  }
  const cited = sources(draft.sections);
  if (cited.length) blocks.push("## Sources", cited.map((c) => citationItem(c)).join("\n"));
  return frontMatter + "\n" + join(blocks);
}

/** One section of draft.md: its marker line, what comes before its text, its text, and what follows. */
export interface DraftSectionParts {
  id: string;
  /** `## s1 · Heading`: the line that marks where the section starts. */
  marker: string;
  /** The goal line and the open revision (a block quote), in blocks. */
  head: string[];
  /** The text as rendered, or the not-written placeholder. */
  text: string;
  /** Research notes and citations, in blocks. */
  tail: string[];
}

/** The blocks of draft.md: the part before the first section, and each section's parts. */
export interface DraftParts {
  preamble: string[];
  sections: DraftSectionParts[];
}

/** What draft.md shows in place of a section with no text yet. */
export const NOT_WRITTEN = "_(not written yet)_";

/** Where the marker line names the section: `## <id> · <heading>`. */
export const SECTION_MARKER = /^## (\S+) · /;

/** The draft's layout, shared by `renderDraft` and the reading of a person's edits (draft_edits.ts). */
export function draftParts(state: ContentState): DraftParts {
  const draft = state.draft;
  if (!draft) {
    const title = state.brief.title || state.request.topic;
    return { preamble: [`# ${escapeInline(title)}`, "_No draft yet._"], sections: [] };
  }
  const status = [`Revision rounds: ${state.revisionRounds}`];
  if (state.decision) {
    status.push(
      state.decision.kind === "flagged"
        ? `Editor decision: flagged (${escapeInline(state.decision.reason)})`
        : `Editor decision: ${state.decision.kind}`,
    );
  }
  return {
    preamble: [`# ${escapeInline(draft.title)}`, `_${status.join(" · ")}_`],
    sections: draft.sections.map((section) => {
      const head = [`_Goal:_ ${escapeInline(section.goal)}`];
      if (section.revision) head.push(blockQuote(closeOpenFences(`**Open revision:** ${section.revision}`)));
      const tail: string[] = [];
      if (section.notes.length) {
        tail.push(
          "**Research notes**",
          section.notes.map((note) => listItem(closeOpenFences(note))).join("\n"),
        );
      }
      if (section.citations.length) {
        tail.push("**Citations**", section.citations.map((c) => citationItem(c, { marks: true })).join("\n"));
      }
      return {
        id: section.id,
        marker: `## ${section.id} · ${escapeInline(section.heading)}`,
        head,
        text: renderedText(section.markdown),
        tail,
      };
    }),
  };
}

/** A section's text as draft.md shows it: trimmed, an open code fence closed, or the placeholder. */
export function renderedText(markdown: string): string {
  return closeOpenFences(markdown.trim()) || NOT_WRITTEN;
}

/**
 * The draft as it stands, for `workflows/<id>/draft.md` and review files:
 * title, each section with its goal, open revision, text (or a placeholder),
 * research notes and citations, and the editor's state.
 */
export function renderDraft(state: ContentState): string {
  const parts = draftParts(state);
  return join([
    ...parts.preamble,
    ...parts.sections.flatMap((s) => [s.marker, ...s.head, s.text, ...s.tail]),
  ]);
}

/** The brief as a Markdown list, in field order (missing fields shown as such). */
export function renderBrief(state: ContentState): string {
  return BRIEF_FIELDS.map((field) => {
    const value = state.brief[field];
    return value === undefined
      ? `- **${field}:** _(missing)_`
      : listItem(closeOpenFences(`**${field}:** ${value}`));
  }).join("\n");
}

/**
 * Write `published/<slug>.md`; if that name is taken, `<slug>-2.md`,
 * `<slug>-3.md` … Never overwrites: each name is claimed with a hard link of
 * a fully written file (or an exclusive create), so two processes publishing
 * the same slug at once get two files. The slug is validated again here
 * (`InvalidSlugError`). Returns the absolute path written.
 */
export async function publishArticle(
  dataDir: string,
  slug: string,
  content: string,
  /** Told each path before it is tried, so a caller can record where the article may land. */
  beforeAttempt?: (path: string) => void,
): Promise<string> {
  assertSlug(slug);
  const paths = dataPaths(dataDir);
  await Deno.mkdir(paths.published, { recursive: true });
  for (let n = 1; n <= MAX_SLUG_SUFFIX; n++) {
    const path = paths.publishedFile(slug, n);
    beforeAttempt?.(path);
    if (await writeFileExclusive(path, content)) return path;
  }
  throw new OutputStateError(
    `cannot publish "${slug}": ${slug}.md to ${slug}-${MAX_SLUG_SUFFIX}.md are all taken`,
  );
}

/** True when `path` is an article this workflow published (its front matter names the workflow). */
export async function publishedBy(path: string, workflowId: string): Promise<boolean> {
  try {
    const text = await Deno.readTextFile(path);
    return splitFrontMatter(text).yaml.includes(`workflow_id: "${workflowId}"`);
  } catch {
    return false;
  }
}
