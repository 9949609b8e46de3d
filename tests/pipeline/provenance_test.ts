/**
 * Citations that carry where they came from: an address a search of the stage returned, a source file by
 * name, or neither; quotes checked against the text cited; the three modes; odd addresses and very many
 * results.
 */
import { assert, assertEquals } from "../assert.ts";
import { evidenceFrom, judgeCitation, normalizeQuote } from "../../src/pipeline/provenance.ts";
import { normalizeUrl } from "../../src/output/markdown.ts";
import { runTool } from "../../src/pipeline/run_tool.ts";
import { emptyState } from "../../src/content/state.ts";
import type { ContentState } from "../../src/content/state.ts";
import type { CitationMode } from "../../src/pipeline/provenance.ts";

/** A researcher's reply that searched: results, and a text block citing one of them. */
function searched(results: { url: string; title: string }[], cited?: { url: string; text: string }) {
  return [
    { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "tides" } },
    {
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_1",
      content: results.map((r) => ({
        type: "web_search_result",
        ...r,
        encrypted_content: "x",
        page_age: null,
      })),
    },
    ...(cited
      ? [{
        type: "text",
        text: "Tides are driven by the moon.",
        citations: [{
          type: "web_search_result_location",
          url: cited.url,
          title: "Tides",
          cited_text: cited.text,
          encrypted_index: "y",
        }],
      }]
      : []),
  ];
}

function researchState(): ContentState {
  const state = emptyState({
    topic: "Tides",
    sources: [{ name: "field-notes.md", text: "The spring tide at Penzance rose 5.6 metres on 3 March." }],
  });
  state.draft = {
    title: "Tides",
    sections: [{ id: "s1", heading: "Why", goal: "Explain", citations: [], notes: [], markdown: "" }],
    nextId: 2,
  };
  return state;
}

const cite = (
  state: ContentState,
  input: Record<string, unknown>,
  content: unknown[][],
  mode: CitationMode = "flag",
) =>
  runTool("researcher", state, "add_citation", { section_id: "s1", title: "A source", ...input }, {
    evidence: evidenceFrom(content),
    citations: mode,
  });

Deno.test("an address a search of the stage returned is web_search; one it did not is unverified, kept and marked", () => {
  const state = researchState();
  const content = [searched([{ url: "https://tides.example/moon", title: "The moon and the tides" }])];
  assertEquals(cite(state, { url: "https://TIDES.example/moon#top" }, content).outcome, "ok");
  const absent = cite(state, { url: "https://made-up.example/tides" }, content);
  assertEquals(absent.outcome, "ok");
  assert(absent.content.startsWith("Citation added to s1 (unverified)."), absent.content);
  assertEquals(state.draft!.sections[0].citations.map((c) => c.provenance), ["web_search", "unverified"]);
});

Deno.test("require refuses an unverified address as a logic error that says to search or write a note", () => {
  const state = researchState();
  const refused = cite(state, { url: "https://made-up.example/tides" }, [], "require");
  assertEquals(refused.outcome, "logic_error");
  assert(
    refused.content.includes("search first") && refused.content.includes("add_research_note"),
    refused.content,
  );
  assertEquals(state.draft!.sections[0].citations, []);
  // A search result's address is taken, in the same reply that searched.
  const content = [searched([{ url: "https://tides.example/moon", title: "Moon" }])];
  assertEquals(cite(state, { url: "https://tides.example/moon" }, content, "require").outcome, "ok");
});

Deno.test("allow keeps every citation as given, unmarked and unchecked", () => {
  const state = researchState();
  assertEquals(
    cite(state, { url: "https://made-up.example/tides", quote: "anything" }, [], "allow").outcome,
    "ok",
  );
  assertEquals(state.draft!.sections[0].citations, [{
    url: "https://made-up.example/tides",
    title: "A source",
    quote: "anything",
  }]);
});

Deno.test("a source file is cited by name, its quote found in its text; a file the request lacks is refused", () => {
  const state = researchState();
  const ok = cite(state, { url: "source:field-notes.md", quote: "rose  5.6 metres\non 3 March" }, []);
  assertEquals(ok.outcome, "ok");
  assertEquals(state.draft!.sections[0].citations[0], {
    url: "source:field-notes.md",
    title: "A source",
    quote: "rose  5.6 metres\non 3 March",
    provenance: "source",
  });
  const missing = cite(state, { url: "source:harbour-log.md" }, []);
  assertEquals(missing.outcome, "logic_error");
  assertEquals(
    missing.content,
    'the request has no source file "harbour-log.md"; its sources are source:field-notes.md',
  );
});

Deno.test("a quote the cited text does not say is dropped, and the drop is recorded", () => {
  const state = researchState();
  const content = [
    searched([{ url: "https://tides.example/moon", title: "Moon" }], {
      url: "https://tides.example/moon",
      text: "The moon’s pull raises two bulges of water.",
    }),
  ];
  // Curly and straight quote marks and spacing are the same quote.
  assertEquals(
    cite(state, { url: "https://tides.example/moon", quote: "moon's pull  raises" }, content).outcome,
    "ok",
  );
  const wrong = cite(state, { url: "source:field-notes.md", quote: "rose 9 metres" }, content);
  assertEquals(wrong.outcome, "ok");
  assert(wrong.content.includes("Its quote was not found"), wrong.content);
  const [first, second] = state.draft!.sections[0].citations;
  assertEquals(first.quote, "moon's pull  raises");
  assertEquals([second.quote, second.droppedQuote, second.provenance], [
    undefined,
    "rose 9 metres",
    "source",
  ]);
});

Deno.test("result addresses with odd characters match however the model writes them; very many results are all evidence", () => {
  const odd = "https://example.org/wiki/Gezeiten_(Meer)?q=ebbe+flut&lang=de#Abschnitt";
  const results = [
    { url: odd, title: "Gezeiten" },
    { url: "https://xn--bcher-kva.example/ü/ß path/", title: "Bücher" },
    ...Array.from({ length: 5000 }, (_, i) => ({ url: `https://many.example/r/${i}`, title: `Result ${i}` })),
  ];
  const evidence = evidenceFrom([searched(results)]);
  assertEquals(evidence.results.size, 5002);
  assertEquals(
    normalizeUrl("HTTPS://Example.ORG:443/wiki/Gezeiten_(Meer)?q=ebbe+flut&lang=de"),
    normalizeUrl(odd),
  );
  assertEquals(
    judgeCitation({ url: "https://xn--bcher-kva.example/%C3%BC/%C3%9F%20path" }, evidence, {}).provenance,
    "web_search",
  );
  assertEquals(judgeCitation({ url: "https://many.example/r/4999" }, evidence, {}).provenance, "web_search");
  assertEquals(judgeCitation({ url: "https://many.example/r/5000" }, evidence, {}).provenance, "unverified");
  assertEquals(normalizeQuote("“It’s  —\n fine”"), '"It\'s - fine"');
  // An empty query and a trailing slash are the same address; so the same source is not cited twice.
  assertEquals(normalizeUrl("https://example.org/a/?"), normalizeUrl("https://example.org/a"));
  const state = researchState();
  assertEquals(cite(state, { url: "https://many.example/r/1" }, [searched(results)]).outcome, "ok");
  assertEquals(cite(state, { url: "https://many.example/r/1/" }, [searched(results)]).outcome, "logic_error");
});

Deno.test("a fetched page is evidence too: its address, and its text for quotes", () => {
  const fetched = [{
    type: "web_fetch_tool_result",
    tool_use_id: "srvtoolu_2",
    content: {
      type: "web_fetch_result",
      url: "https://tides.example/tables",
      retrieved_at: "2026-12-07T00:00:00Z",
      content: {
        type: "document",
        title: "Tide tables",
        source: { type: "text", media_type: "text/plain", data: "High water at Penzance: 05:42, 5.6 m." },
      },
    },
  }];
  const evidence = evidenceFrom([fetched]);
  assertEquals(judgeCitation({ url: "https://tides.example/tables", quote: "05:42, 5.6 m" }, evidence, {}), {
    provenance: "web_search",
  });
  assertEquals(judgeCitation({ url: "https://tides.example/tables", quote: "06:00" }, evidence, {}), {
    provenance: "web_search",
    droppedQuote: "06:00",
  });
});
