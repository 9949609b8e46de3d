/** Citations per completion by provenance, per the citing agent's model, from completed workflows' content. */
import { assertEquals } from "../assert.ts";
import { citationFigures, citationMarks } from "../../src/report/citations.ts";
import type { Citation } from "../../src/content/state.ts";

const workflow = (model: string, citations: Citation[]) => ({
  models: { researcher: model },
  citations: citationMarks({
    draft: {
      title: "t",
      nextId: 2,
      sections: [{ id: "s1", heading: "h", goal: "g", citations, notes: [], markdown: "" }],
    },
  }),
});

Deno.test("citations per completion by provenance, per the researcher's model, with the quotes dropped", () => {
  const web = { url: "https://a.example", title: "A", provenance: "web_search" as const };
  const figures = citationFigures([
    workflow("claude-opus-4-7", [web, { url: "source:notes.md", title: "N", provenance: "source" }]),
    workflow("claude-opus-4-7", [{ ...web, provenance: "unverified", droppedQuote: "never said" }]),
    workflow("claude-sonnet-4-6", [{ url: "https://b.example", title: "B" }]),
  ]);
  assertEquals(figures, [
    {
      agent: "researcher",
      model: "claude-opus-4-7",
      completions: 2,
      perCompletion: { web_search: 0.5, source: 0.5, unverified: 0.5, unrecorded: 0 },
      droppedQuotesPerCompletion: 0.5,
    },
    {
      agent: "researcher",
      model: "claude-sonnet-4-6",
      completions: 1,
      perCompletion: { web_search: 0, source: 0, unverified: 0, unrecorded: 1 },
      droppedQuotesPerCompletion: 0,
    },
  ]);
});

Deno.test("what the shared ledger keeps of a draft's citations: provenance and a dropped quote, one mark each", () => {
  const section = (id: string, citations: Citation[]) => ({
    id,
    heading: "h",
    goal: "g",
    citations,
    notes: [],
    markdown: "",
  });
  const marks = citationMarks({
    draft: {
      title: "t",
      nextId: 3,
      sections: [
        section("s1", [{
          url: "https://a.example",
          title: "A",
          provenance: "web_search",
          droppedQuote: "x",
        }]),
        section("s2", [{ url: "https://b.example", title: "B" }, {
          url: "source:n.md",
          title: "N",
          provenance: "source",
        }]),
      ],
    },
  });
  assertEquals(marks, [{ provenance: "web_search", dropped: true }, {}, { provenance: "source" }]);
  assertEquals(citationMarks({ draft: null }), []);
});
