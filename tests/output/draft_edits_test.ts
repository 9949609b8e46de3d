/** A person's edits to draft.md are read back section by section. */
import { assertEquals } from "../assert.ts";
import { sectionTexts } from "../../src/output/draft_edits.ts";
import { renderDraft } from "../../src/output/article.ts";
import { emptyState } from "../../src/pipeline/state.ts";

Deno.test("the text of each section round-trips through draft.md, and edits come back", () => {
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
  const file = renderDraft(state);
  assertEquals(
    [...sectionTexts(file)],
    [["s1", "First.\n\nSecond paragraph."], ["s2", "Text with **bold**."], ["s3", ""]],
  );
  const edited = file.replace("Text with **bold**.", "Rewritten by a person.\n\nWith a second paragraph.");
  assertEquals(sectionTexts(edited).get("s2"), "Rewritten by a person.\n\nWith a second paragraph.");
  assertEquals(sectionTexts(edited).get("s1"), "First.\n\nSecond paragraph.");
});
