/**
 * Reading a person's edits back from `workflows/<id>/draft.md`. The file is
 * read against the layout Pressroom wrote from the workflow's state
 * (`draftParts`): each section's text is whatever lies between its goal (and
 * open revision) and its research notes and citations, so a text may hold any
 * Markdown, block quotes and bold lines included. Every other line (title,
 * status, section markers, goals, revisions, notes, citations) must stay as
 * written: a change there is refused with the line it is on, never dropped.
 * Pure.
 * @module
 */
import type { ContentState } from "../content/state.ts";
import { draftParts, NOT_WRITTEN, SECTION_MARKER } from "./article.ts";
import { UserInputError } from "../errors.ts";

/** An edit draft.md cannot take: `line` (1-based) and what is wrong there, for `<file> line N: problem`. */
export class DraftEditError extends UserInputError {
  constructor(readonly line: number, readonly problem: string) {
    super(`draft.md line ${line}: ${problem}`);
    this.name = "DraftEditError";
  }
}

/** One section's text as the file has it ("" when it shows the not-written placeholder). */
export interface SectionText {
  id: string;
  text: string;
  /** Where the text starts (or would), 1-based. */
  line: number;
}

interface Line {
  /** 1-based. */
  n: number;
  text: string;
}

const ONLY_TEXT = "only a section's text is read back";

/**
 * Each section's text in `file`, in order, read against the layout of `state`. Throws
 * `DraftEditError` naming the first line that is not a section's text and differs from what
 * Pressroom wrote (a changed or unknown section id, a missing marker, an edited citation, garbage).
 */
export function readSectionTexts(file: string, state: ContentState): SectionText[] {
  const lines = file.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n").map((
    text,
    i,
  ) => ({ n: i + 1, text }));
  const parts = draftParts(state);
  const markers = lines.filter((l) => SECTION_MARKER.test(l.text));
  // What is missing at the end is named at the last line.
  const end = lines.length;
  const preambleEnd = markers[0]?.n ?? end + 1;
  if (!state.draft) {
    expectBlocks(
      lines,
      parts.preamble,
      end,
      "there is no draft yet (the planner makes it): leave draft.md as it is",
    );
    return [];
  }
  expectBlocks(
    lines.filter((l) => l.n < preambleEnd),
    parts.preamble,
    preambleEnd,
    `the title and status lines stay as written; ${ONLY_TEXT}`,
  );
  checkMarkers(markers, parts.sections, end);
  return parts.sections.map((expected, k) => {
    const blockEnd = markers[k + 1]?.n ?? end + 1;
    const block = lines.filter((l) => l.n > markers[k].n && l.n < blockEnd);
    return sectionText(block, expected, blockEnd, end);
  });
}

/** The marker lines name the draft's sections, each once, in order, with their headings as written. */
function checkMarkers(markers: Line[], sections: { id: string; marker: string }[], end: number): void {
  const ids = sections.map((s) => s.id);
  markers.forEach((marker, k) => {
    const id = SECTION_MARKER.exec(marker.text)![1];
    const expected = sections[k];
    if (id !== expected?.id) {
      throw new DraftEditError(marker.n, wrongMarker(id, expected?.id, ids, ids.slice(0, k)));
    }
    if (marker.text.trimEnd() !== expected.marker) {
      throw new DraftEditError(
        marker.n,
        `the heading of ${id} stays as written ("${expected.marker}"); ${ONLY_TEXT}`,
      );
    }
  });
  const missing = sections[markers.length];
  if (missing) {
    throw new DraftEditError(
      Math.max(1, end),
      `section ${missing.id} is missing: keep its line "${missing.marker}" and the sections' order`,
    );
  }
}

function wrongMarker(id: string, expected: string | undefined, ids: string[], seen: string[]): string {
  if (seen.includes(id)) return `section ${id} appears a second time; each section appears once`;
  if (!ids.includes(id) || expected === undefined) {
    return `unknown section id "${id}"; the draft's sections are ${
      ids.join(", ")
    }: section ids cannot change`;
  }
  return `section ${expected} is missing before ${id}: keep every section's marker line and their order`;
}

/** The text between a section's head and tail; the head and tail must be as Pressroom wrote them. */
function sectionText(
  block: Line[],
  expected: { id: string; head: string[]; tail: string[] },
  next: number,
  last: number,
) {
  const missingAt = Math.max(1, Math.min(next, last));
  const filled = block.filter((l) => l.text.trim() !== "");
  const head = nonBlank(expected.head);
  const tail = nonBlank(expected.tail);
  const why = (part: string) => `${expected.id}'s ${part} stays as written; ${ONLY_TEXT}`;
  head.forEach((want, i) => {
    const got = filled[i];
    if (got?.text.trimEnd() !== want) {
      throw new DraftEditError(
        got?.n ?? missingAt,
        `expected "${want}" here: ${why("goal and open revision")}`,
      );
    }
  });
  const tailStart = filled.length - tail.length;
  if (tailStart < head.length) {
    throw new DraftEditError(missingAt, `expected "${tail[0]}" after the text: ${why("research")}`);
  }
  tail.forEach((want, i) => {
    const got = filled[tailStart + i];
    if (got.text.trimEnd() !== want) {
      throw new DraftEditError(got.n, `expected "${want}" here: ${why("research")}`);
    }
  });
  const from = head.length ? filled[head.length - 1].n + 1 : (block[0]?.n ?? next);
  const to = tail.length ? filled[tailStart].n : next;
  const text = block.filter((l) => l.n >= from && l.n < to).map((l) => l.text).join("\n").trim();
  const start = block.find((l) => l.n >= from && l.text.trim() !== "")?.n ?? from;
  return { id: expected.id, text: text === NOT_WRITTEN ? "" : text, line: start };
}

/** The non-blank lines of some blocks, right-trimmed. */
function nonBlank(blocks: string[]): string[] {
  return blocks.flatMap((b) => b.split("\n")).map((l) => l.trimEnd()).filter((l) => l !== "");
}

/** The lines, blank ones aside, must be exactly the blocks' lines. */
function expectBlocks(lines: Line[], blocks: string[], next: number, why: string): void {
  const want = nonBlank(blocks);
  const got = lines.filter((l) => l.text.trim() !== "");
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (got[i]?.text.trimEnd() === want[i]) continue;
    const line = got[i]?.n ?? Math.max(1, next - 1);
    throw new DraftEditError(
      line,
      want[i] === undefined ? `unexpected line: ${why}` : `expected "${want[i]}" here: ${why}`,
    );
  }
}
