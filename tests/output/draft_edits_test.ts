/** A person's edits to draft.md are read back section by section, or refused with the line. */
import { assertEquals, assertThrows } from "../assert.ts";
import { DraftEditError, readSectionTexts } from "../../src/output/draft_edits.ts";
import { renderDraft } from "../../src/output/article.ts";
import { type ContentState, emptyState } from "../../src/content/state.ts";

function draftState(): ContentState {
  const state = emptyState({ topic: "T" });
  state.draft = {
    title: "Title",
    nextId: 4,
    sections: [
      {
        id: "s1",
        heading: "One",
        goal: "g1",
        citations: [{ url: "https://a.example", title: "A" }],
        notes: ["n"],
        markdown: "First.\n\nSecond paragraph.",
      },
      {
        id: "s2",
        heading: "Two",
        goal: "g2",
        citations: [],
        notes: [],
        markdown: "Text with **bold**.",
        revision: "Shorter",
      },
      { id: "s3", heading: "Three", goal: "g3", citations: [], notes: [], markdown: "" },
    ],
  };
  return state;
}

const texts = (file: string, state = draftState()) =>
  readSectionTexts(file, state).map((s) => [s.id, s.text, s.line]);

/** The one line an edit is refused with. */
function refusal(file: string, state = draftState()): string {
  return assertThrows(() => readSectionTexts(file, state), DraftEditError).message;
}

Deno.test("the text of each section round-trips through draft.md, and edits come back", () => {
  const file = renderDraft(draftState());
  assertEquals(texts(file), [
    ["s1", "First.\n\nSecond paragraph.", 9],
    ["s2", "Text with **bold**.", 27],
    ["s3", "", 33],
  ]);
  const edited = file.replace("Text with **bold**.", "Rewritten by a person.\n\nWith a second paragraph.");
  assertEquals(texts(edited)[1], ["s2", "Rewritten by a person.\n\nWith a second paragraph.", 27]);
  assertEquals(texts(edited)[0][1], "First.\n\nSecond paragraph.");
});

Deno.test("a section's text may start with a block quote, hold bold lines, and use CRLF line ends", () => {
  const file = renderDraft(draftState())
    .replace(
      "First.\n\nSecond",
      "> A quote to open with.\n> Two lines of it.\n\n**Research notes**\n\nSecond",
    )
    .replace("_(not written yet)_", "> Only a quote.")
    .replaceAll("\n", "\r\n");
  assertEquals(texts(file).map(([id, text]) => [id, text]), [
    ["s1", "> A quote to open with.\n> Two lines of it.\n\n**Research notes**\n\nSecond paragraph."],
    ["s2", "Text with **bold**."],
    ["s3", "> Only a quote."],
  ]);
});

Deno.test("a changed, unknown, repeated or missing section marker is refused with its line", () => {
  const file = renderDraft(draftState());
  assertEquals(
    refusal(file.replace("## s2 · Two", "## s9 · Two")),
    'draft.md line 21: unknown section id "s9"; the draft\'s sections are s1, s2, s3: section ids cannot change',
  );
  assertEquals(
    refusal(file.replace("## s2 · Two", "## Two")),
    "draft.md line 29: section s2 is missing before s3: keep every section's marker line and their order",
  );
  assertEquals(
    refusal(file.replace("## s3 · Three", "## s1 · Three")),
    "draft.md line 29: section s1 appears a second time; each section appears once",
  );
  assertEquals(
    refusal(file.replace("## s3 · Three", "Three")),
    'draft.md line 33: section s3 is missing: keep its line "## s3 · Three" and the sections\' order',
  );
  assertEquals(
    refusal(file.replace("## s2 · Two", "## s2 · Two, renamed")),
    'draft.md line 21: the heading of s2 stays as written ("## s2 · Two"); only a section\'s text is read back',
  );
});

Deno.test("garbage, and changes outside a section's text, are refused with their line", () => {
  assertEquals(
    refusal("%PDF-1.4 \u0000\u0001 garbage\n"),
    'draft.md line 1: expected "# Title" here: the title and status lines stay as written; only a section\'s ' +
      "text is read back",
  );
  assertEquals(
    refusal(""),
    'draft.md line 1: expected "# Title" here: the title and status lines stay as ' +
      "written; only a section's text is read back",
  );
  const file = renderDraft(draftState());
  assertEquals(
    refusal(file.replace("- [A](<https://a.example>)", "- [B](<https://b.example>)")),
    'draft.md line 19: expected "- [A](<https://a.example>)" here: s1\'s research stays as written; only a ' +
      "section's text is read back",
  );
  assertEquals(
    refusal(file.replace("> **Open revision:** Shorter\n", "")),
    'draft.md line 26: expected "> **Open revision:** Shorter" here: s2\'s goal and open revision stays as ' +
      "written; only a section's text is read back",
  );
  const none = emptyState({ topic: "T" });
  assertEquals(texts(renderDraft(none), none), []);
  assertEquals(
    refusal(renderDraft(none) + "\nMy own outline.\n", none),
    "draft.md line 5: unexpected line: there is no draft yet (the planner makes it): leave draft.md as it is",
  );
});
