/**
 * Reading a person's edits back from `workflows/<id>/draft.md`: the text of
 * each section, between its goal (and open revision) and its research notes,
 * citations or the next section. Headings, goals, notes and citations stay as
 * the workflow has them. Pure.
 * @module
 */

const SECTION = /^## (s[1-9]\d*) · /;
const ENDS_TEXT = /^\*\*(Research notes|Citations)\*\*$/;
const NOT_WRITTEN = "_(not written yet)_";

/** Each section's text as the file has it, by section id. */
export function sectionTexts(draftMarkdown: string): Map<string, string> {
  const texts = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  let inText = false;
  const flush = () => {
    if (current === undefined) return;
    const text = lines.join("\n").trim();
    texts.set(current, text === NOT_WRITTEN ? "" : text);
  };
  for (const line of draftMarkdown.replace(/\r\n?/g, "\n").split("\n")) {
    const heading = SECTION.exec(line);
    if (heading) {
      flush();
      current = heading[1];
      lines = [];
      inText = false;
      continue;
    }
    if (current === undefined) continue;
    if (!inText) {
      // The goal line and an open revision (a block quote) come before the text.
      if (line.startsWith("_Goal:_") || line.startsWith(">") || line.trim() === "") continue;
      inText = true;
    }
    if (ENDS_TEXT.test(line.trim())) {
      flush();
      current = undefined;
      continue;
    }
    lines.push(line);
  }
  flush();
  return texts;
}
