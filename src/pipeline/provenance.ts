/**
 * Where a citation came from. Pressroom sends every block of a stage back to the model, so it can check:
 * an address that appeared in a web search (or web fetch) result earlier in the same stage's conversation is
 * `web_search`; a request's source file, cited as `source:<name>`, is `source`; anything else (an address
 * the model gave from memory) is `unverified`. A quote must be found in what the citation points at: the
 * text the API cited from that search result, or the source file's text. Pure.
 * @module
 */
import type { Citation, WorkflowRequest } from "../content/state.ts";
import { normalizeUrl } from "../output/markdown.ts";

export type Provenance = "web_search" | "source" | "unverified";

/** `agents.<id>.citations`: keep and mark an unverified citation, refuse it, or keep it unmarked. */
export const CITATION_MODES = ["flag", "require", "allow"] as const;
export type CitationMode = typeof CITATION_MODES[number];

/** What the stage's conversation showed: search and fetch results, and the text the API cited from them. */
export interface Evidence {
  /** Normalised address → the result's title and every cited text of it seen so far. */
  results: Map<string, { title: string; citedTexts: string[] }>;
}

/** How a source file is cited: `source:` and its name as `submit --source` gave it. */
export const SOURCE_PREFIX = "source:";

/** Text as quotes are compared: runs of white space as one space, curly quotes and dashes as plain ones. */
export function normalizeQuote(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201A\u201B\u2032\u0060\u00B4]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, "-")
    .replace(/\s+/g, " ")
    .trim();
}

// deno-lint-ignore no-explicit-any
type Block = any;

/** The evidence in a stage's assistant turns (and the reply being judged): every result and cited text. */
export function evidenceFrom(contents: Block[][]): Evidence {
  const results: Evidence["results"] = new Map();
  const add = (url: unknown, title: unknown, cited?: unknown) => {
    if (typeof url !== "string" || !url) return;
    const key = normalizeUrl(url);
    const entry = results.get(key) ?? { title: typeof title === "string" ? title : "", citedTexts: [] };
    if (!entry.title && typeof title === "string") entry.title = title;
    if (typeof cited === "string" && cited) entry.citedTexts.push(cited);
    results.set(key, entry);
  };
  for (const content of contents) {
    for (const block of content ?? []) {
      if (block?.type === "web_search_tool_result" && Array.isArray(block.content)) {
        for (const r of block.content) if (r?.type === "web_search_result") add(r.url, r.title);
      } else if (block?.type === "web_fetch_tool_result" && block.content?.type === "web_fetch_result") {
        add(block.content.url, block.content.content?.title ?? "", fetchedText(block.content.content));
      } else if (block?.type === "text" && Array.isArray(block.citations)) {
        for (const c of block.citations) {
          if (c?.type === "web_search_result_location") add(c.url, c.title, c.cited_text);
        }
      }
    }
  }
  return { results };
}

/** A fetched document's plain text, when the API returned it as text. */
function fetchedText(document: Block): string | undefined {
  const source = document?.source;
  return source?.type === "text" && typeof source.data === "string" ? source.data : undefined;
}

export interface Judged {
  provenance: Provenance;
  /** Set when the quote given was not found in what the citation points at: it is not kept. */
  droppedQuote?: string;
}

/** Judges one citation against the stage's evidence and the request's source files. */
export function judgeCitation(
  citation: Pick<Citation, "url" | "quote">,
  evidence: Evidence,
  request: Pick<WorkflowRequest, "sources">,
): Judged {
  const quote = citation.quote === undefined ? undefined : normalizeQuote(citation.quote);
  const keeps = (texts: string[]) =>
    quote === undefined || texts.some((t) => normalizeQuote(t).includes(quote));
  const dropped = (texts: string[]) => keeps(texts) ? {} : { droppedQuote: citation.quote };
  if (citation.url.startsWith(SOURCE_PREFIX)) {
    const name = citation.url.slice(SOURCE_PREFIX.length);
    const file = (request.sources ?? []).find((s) => s.name === name);
    if (!file) return { provenance: "unverified", ...dropped([]) };
    return { provenance: "source", ...dropped([file.text]) };
  }
  const result = evidence.results.get(normalizeUrl(citation.url));
  if (result) return { provenance: "web_search", ...dropped(result.citedTexts) };
  // Nothing to check a quote against: it is not kept either.
  return { provenance: "unverified", ...dropped([]) };
}
