/**
 * Small Markdown helpers: text that must stay on one line and mean only
 * itself (headings, link titles), and link destinations that cannot break out.
 * @module
 */
import type { Citation } from "../content/state.ts";

/**
 * An address as compared: scheme and host lower-cased, the default port, the fragment and a trailing slash
 * dropped; path and query kept as they are (they are case-sensitive on most servers).
 */
export function normalizeUrl(url: string): string {
  try {
    // The URL parser lower-cases scheme and host, drops a default port and percent-encodes odd characters.
    const u = new URL(url.trim());
    u.hash = "";
    // An empty query ("…/a/?") is no query.
    const href = u.search ? u.href : u.href.replace(/\?$/, "");
    return !u.search && href.endsWith("/") ? href.slice(0, -1) : href;
  } catch {
    return url.trim();
  }
}

/** Collapse every run of whitespace (line breaks included) to one space, and trim. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u0085\u2028\u2029]+/g, " ").trim();
}

/**
 * Inline text that means only itself: on one line, with every Markdown/HTML
 * meta character backslash-escaped (so `]`, `(`, `<`, `*`, `#`, `&` … cannot
 * end a link text, open a tag or an entity, or close a heading).
 */
export function escapeInline(text: string): string {
  return collapseWhitespace(text).replace(/[\\`*_[\]()<>#!|~&]/g, (c) => `\\${c}`);
}

/**
 * A link destination for `[text](<…>)`: the URL as written, with only the
 * characters that could end or break the destination percent-encoded
 * (whitespace, controls, `<`, `>`, `\`). Returns null for anything that is not
 * an http(s) URL, which must then not become a link.
 */
export function linkDestination(url: string): string | null {
  const trimmed = url.trim();
  if (!/^https?:\/\/[^\s/]/i.test(trimmed)) return null;
  // deno-lint-ignore no-control-regex
  return trimmed.replace(/[\s<>\\\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) => encodeURIComponent(c));
}

/**
 * One citation as a list item: `- [title](<url>) — “quote”`; a non-http(s) URL stays plain text. With
 * `marks` (draft.md and review files), an unverified address and a dropped quote say so.
 */
export function citationItem(
  citation: Pick<Citation, "url" | "title" | "quote" | "provenance" | "droppedQuote">,
  { marks = false }: { marks?: boolean } = {},
): string {
  const title = escapeInline(citation.title) || escapeInline(citation.url);
  const dest = linkDestination(citation.url);
  const link = dest === null ? `${title} (${escapeInline(citation.url)})` : `[${title}](<${dest}>)`;
  const quote = citation.quote ? ` — “${escapeInline(citation.quote)}”` : "";
  const notes = marks
    ? [
      citation.provenance === "unverified" ? `**unverified:** ${UNVERIFIED_NOTE}` : "",
      citation.droppedQuote
        ? `quote dropped, not in the cited text: “${escapeInline(citation.droppedQuote)}”`
        : "",
    ].filter(Boolean)
    : [];
  return `- ${link}${quote}${notes.map((n) => ` _(${n})_`).join("")}`;
}

/** Why a citation is marked unverified, wherever it is shown. */
export const UNVERIFIED_NOTE = "no web search of the research stage returned this address";

/** A list item whose text may span lines: continuation lines are indented under the item. */
export function listItem(text: string): string {
  return `- ${text.trim().split(/\r?\n/).join("\n  ")}`;
}

/** A block quote of any text, every line prefixed with `> `. */
export function blockQuote(text: string): string {
  return text.trim().split(/\r?\n/).map((line) => (line ? `> ${line}` : ">")).join("\n");
}

/**
 * Close a fenced code block the text leaves open (```` ``` ```` or `~~~`), so
 * that one section's unfinished fence cannot swallow the headings and sources
 * that follow it. Text without an open fence is returned unchanged.
 */
export function closeOpenFences(markdown: string): string {
  let open: { char: string; length: number } | null = null;
  for (const line of markdown.split(/\r?\n/)) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!m) continue;
    const fence = m[1];
    if (open === null) {
      // a backtick fence's info string may not contain a backtick
      if (fence[0] === "`" && m[2].includes("`")) continue;
      open = { char: fence[0], length: fence.length };
    } else if (fence[0] === open.char && fence.length >= open.length && m[2].trim() === "") {
      open = null;
    }
  }
  return open === null ? markdown : `${markdown.replace(/\s+$/, "")}\n${open.char.repeat(open.length)}`;
}
