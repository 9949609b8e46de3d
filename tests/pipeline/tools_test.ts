/** The tool contract: classification of every call, the handlers' state rules, and the done rules. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { VALID_BRIEF } from "../helpers.ts";
import { runTool } from "../../src/pipeline/run_tool.ts";
import { AGENTS } from "../../src/pipeline/agents.ts";
import { type ContentState, emptyState } from "../../src/content/state.ts";
import { TOOL_DEFINITIONS, TOOL_NAMES } from "../../src/pipeline/tools.ts";

const fresh = (): ContentState => emptyState({ topic: "Lighthouses" });
const brief = VALID_BRIEF;

function withDraft(): ContentState {
  const state = fresh();
  for (const [field, value] of Object.entries(brief)) {
    runTool("intake", state, "update_brief_field", { field, value });
  }
  runTool("planner", state, "create_draft", {
    title: "How lighthouses work",
    sections: [
      { heading: "Lenses", goal: "Explain the Fresnel lens" },
      { heading: "Lamps", goal: "From oil to LED" },
      { heading: "Keepers", goal: "How automation ended the job" },
    ],
  });
  return state;
}

Deno.test("all twelve tools are offered with JSON Schemas, identical for every agent", () => {
  assertEquals(TOOL_NAMES.length, 12);
  assertEquals(TOOL_DEFINITIONS.map((t) => t.name), TOOL_NAMES);
  for (const tool of TOOL_DEFINITIONS) assertEquals(tool.input_schema.type, "object");
  assertEquals(AGENTS.editor.tools, ["request_revision", "flag_for_review", "promote_to_published"]);
});

Deno.test("each mutation tool belongs to exactly one agent; the read tools to none", () => {
  const owned = Object.values(AGENTS).flatMap((a) => a.tools);
  assertEquals(owned.length, new Set(owned).size, "no tool has two owners");
  assertEquals(TOOL_NAMES.filter((t) => !owned.includes(t)), ["get_brief", "get_draft"]);
});

Deno.test("every call is classified: ok, wrong_tool, malformed_args, logic_error", () => {
  const state = withDraft();
  const cases: [string, string, unknown, string][] = [
    ["writer", "get_draft", {}, "ok"],
    ["writer", "delete_everything", {}, "wrong_tool"],
    ["writer", "add_citation", { section_id: "s1", url: "https://a.example", title: "A" }, "wrong_tool"],
    [
      "researcher",
      "add_citation",
      { section_id: "s1", url: "ftp://a.example/x", title: "A" },
      "malformed_args",
    ],
    ["researcher", "add_citation", { section_id: "s1", url: "/etc/passwd", title: "A" }, "malformed_args"],
    ["researcher", "add_citation", { section_id: "s1", title: "A" }, "malformed_args"],
    [
      "researcher",
      "add_citation",
      { section_id: "s1", url: "https://a.example", title: "A", extra: 1 },
      "malformed_args",
    ],
    ["researcher", "add_citation", { section_id: "s9", url: "https://a.example", title: "A" }, "logic_error"],
    ["researcher", "add_citation", { section_id: "s1", url: "https://a.example", title: "A" }, "ok"],
    ["researcher", "add_citation", { section_id: "s1", url: "https://a.example", title: "B" }, "logic_error"],
    [
      "planner",
      "create_draft",
      { title: "Again", sections: [{ heading: "a b", goal: "x y z w" }] },
      "malformed_args",
    ],
    ["writer", "update_section", { section_id: "s1", markdown: "x".repeat(1_000_000) }, "malformed_args"],
    ["editor", "promote_to_published", {}, "logic_error"],
    ["publisher", "set_metadata", { slug: "../../x", description: "d", tags: ["t"] }, "malformed_args"],
    ["publisher", "set_metadata", { slug: "Upper-Case", description: "d", tags: ["t"] }, "malformed_args"],
    ["intake", "update_brief_field", { field: "target_words", value: "lots" }, "malformed_args"],
  ];
  for (const [agent, tool, args, outcome] of cases) {
    const result = runTool(agent as never, state, tool, args);
    assertEquals(
      result.outcome,
      outcome,
      `${agent} ${tool} ${JSON.stringify(args).slice(0, 80)}: ${result.content}`,
    );
  }
});

Deno.test("error results tell the model what to do", () => {
  const state = withDraft();
  assertMatch(
    runTool("writer", state, "add_citation", {}).content,
    /add_citation belongs to the researcher; you are the writer. Your tools: update_section/,
  );
  assertMatch(
    runTool("researcher", state, "add_research_note", { section_id: "s7", note: "abc" }).content,
    /no section s7; the sections are s1, s2, s3/,
  );
  assertMatch(
    runTool("planner", state, "create_draft", {
      title: "Again",
      sections: [1, 2, 3].map((i) => ({ heading: `h${i}`, goal: "a goal" })),
    }).content,
    /a draft already exists/,
  );
});

Deno.test("a failed call leaves the state as it was", () => {
  const state = withDraft();
  const before = structuredClone(state);
  runTool("planner", state, "add_section", { heading: "Lenses", goal: "duplicate heading" });
  runTool("planner", state, "add_section", {
    heading: "New",
    goal: "after a section that is not there",
    after: "s9",
  });
  assertEquals(state, before);
  runTool("planner", state, "add_section", {
    heading: "History",
    goal: "The first lighthouses",
    after: "s1",
  });
  assertEquals(
    state.draft!.sections.map((s) => s.id),
    ["s1", "s4", "s2", "s3"],
    "inserted after s1 with the next id",
  );
});

Deno.test("the done rules and the editor's bounded revision loop", () => {
  const state = fresh();
  assertMatch(AGENTS.intake.missing(state)!, /title, audience, angle/);
  const full = withDraft();
  assertEquals(AGENTS.intake.missing(full), null);
  assertEquals(AGENTS.planner.missing(full), null);
  assertEquals(AGENTS.researcher.missing(full), "sections without a citation or note: s1, s2, s3");
  for (const id of ["s1", "s2", "s3"]) {
    runTool("researcher", full, "add_research_note", { section_id: id, note: "a fact" });
    runTool("writer", full, "update_section", { section_id: id, markdown: "Text." });
  }
  assertEquals(AGENTS.writer.missing(full), null);
  assertEquals(
    runTool("editor", full, "request_revision", { section_id: "s2", instructions: "More detail" }).outcome,
    "ok",
  );
  assertEquals(AGENTS.editor.end(full), { kind: "advance", to: "writer" });
  assertEquals([full.revisionRounds, full.decision], [1, null], "the round is counted");
  assertMatch(AGENTS.writer.missing(full)!, /s2/);
  full.revisionRounds = 2;
  full.decision = null;
  const refused = runTool("editor", full, "request_revision", { section_id: "s1", instructions: "Again" });
  assertEquals(refused.outcome, "logic_error");
  assertMatch(refused.content, /2 revision rounds are used up/);
  runTool("writer", full, "update_section", { section_id: "s2", markdown: "Better." });
  assertEquals(runTool("editor", full, "promote_to_published", {}).outcome, "ok");
  assertEquals(AGENTS.editor.end(full), { kind: "advance", to: "publisher" });
  assertEquals(AGENTS.editor.end({ ...full, decision: { kind: "flagged", reason: "Unsourced claims" } }), {
    kind: "flag",
    reason: "Unsourced claims",
  });
  assert(AGENTS.publisher.missing(full) !== null);
  runTool("publisher", full, "set_metadata", {
    slug: "how-lighthouses-work",
    description: "d",
    tags: ["sea"],
  });
  assertEquals(AGENTS.publisher.missing(full), null);
  assertEquals(AGENTS.publisher.end(full), { kind: "publish" });
});

Deno.test("Windows line ends are text; two sections with one heading are refused", () => {
  const state = fresh();
  const crlf = runTool("intake", state, "update_brief_field", {
    field: "key_points",
    value: "First point\r\nSecond point",
  });
  assertEquals(crlf.outcome, "ok");
  assertEquals(state.brief.key_points, "First point\nSecond point");
  assertEquals(
    runTool("intake", state, "update_brief_field", { field: "tone", value: "calm\u0007" }).outcome,
    "malformed_args",
  );
  const twice = runTool("planner", state, "create_draft", {
    title: "T",
    sections: [{ heading: "Same", goal: "one goal" }, { heading: "same", goal: "two goal" }, {
      heading: "Other",
      goal: "three",
    }],
  });
  assertEquals(twice.outcome, "malformed_args", "a 1-character title is too short");
  const dup = runTool("planner", state, "create_draft", {
    title: "Title",
    sections: [{ heading: "Same", goal: "one goal" }, { heading: "same", goal: "two goal" }, {
      heading: "Other",
      goal: "three",
    }],
  });
  assertEquals([dup.outcome, dup.content], [
    "logic_error",
    'two sections are headed "same"; give each its own heading',
  ]);
  assertEquals(state.draft, null);
});
