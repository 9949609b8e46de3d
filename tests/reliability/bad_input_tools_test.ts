/**
 * Hostile tool arguments from the model (path traversal, front matter injection, 1 MB and empty values,
 * Unicode edge cases, wrong types), one step per case, through the tool layer into the files on disk:
 * each is classified, or accepted and harmless (what was given reads back exactly, inside the data
 * folder's layout).
 *
 * One case alone: `PRESSROOM_CASE='tool case 12:' deno test -P=tests tests/reliability/bad_input_tools_test.ts`.
 * @module
 */
import { ulid } from "../../src/ids.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { filesUnder, tempDir, VALID_BRIEF } from "../helpers.ts";
import { isTempName } from "../../src/output/atomic.ts";
import { publishArticle, renderArticle, renderDraft } from "../../src/output/article.ts";
import { parseFrontMatter, parseYaml, splitFrontMatter } from "../../src/output/front_matter.ts";
import { writeReview } from "../../src/output/review.ts";
import { mirrorWorkflow } from "../../src/output/workflow_files.ts";
import { runTool, type ToolOutcome } from "../../src/pipeline/run_tool.ts";
import { type ContentState, emptyState } from "../../src/content/state.ts";
import type { AgentId } from "../../src/config/schema.ts";
import { big, DATA, LAYOUT, selected } from "./bad_input_harness.ts";

const MB = big(1_048_576, "x");
/** Tries to close the front matter and add fields (and a slug that walks out of published/). */
const INJECT = '"\n---\ntitle: pwned\nslug: ../../etc/passwd\n---\n# pwned';
const UNICODE = "\u202eevil\u202c \u2066iso\u2069 👨‍👩‍👧 e\u0301 zero\u200bwidth \u2028line sep\u2029 \ufeffbom";
const LONE = "a lone \ud800 surrogate";

function ok(agent: AgentId, state: ContentState, tool: string, input: unknown): void {
  const result = runTool(agent, state, tool, input);
  assertEquals(result.outcome, "ok", `${tool}: ${result.content}`);
}

/** The states a case starts from: nothing yet, written but not decided, and promoted with metadata. */
function baseState(kind: "fresh" | "written" | "promoted"): ContentState {
  const state = emptyState({ topic: "Lighthouses" });
  if (kind === "fresh") return state;
  for (const [field, value] of Object.entries(VALID_BRIEF)) {
    ok("intake", state, "update_brief_field", { field, value });
  }
  ok("planner", state, "create_draft", {
    title: "How lighthouses work",
    sections: ["Lenses", "Lamps", "Keepers"].map((heading) => ({ heading, goal: `Explain ${heading}` })),
  });
  for (const id of ["s1", "s2", "s3"]) {
    ok("researcher", state, "add_citation", {
      section_id: id,
      url: `https://example.org/${id}`,
      title: "Source",
    });
    ok("writer", state, "update_section", { section_id: id, markdown: `Text of ${id}.` });
  }
  if (kind === "written") return state;
  ok("editor", state, "promote_to_published", {});
  ok("publisher", state, "set_metadata", {
    slug: "lighthouses",
    description: "How they work",
    tags: ["sea"],
  });
  return state;
}

type ToolCase = [
  agent: AgentId,
  tool: string,
  input: unknown,
  outcome: ToolOutcome,
  base: "fresh" | "written" | "promoted",
];

const META = { slug: "ok-slug", description: "A description", tags: ["tag"] };
const sections = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ heading: `H${i}`, goal: `goal ${i}` }));

const TOOL_CASES: ToolCase[] = [
  // the slug is the one piece of model output that becomes a path
  ...[
    "../../etc/passwd",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "..",
    ".hidden",
    "a\u0000b",
    "ａｂｃ",
    "café",
    "a\u2215b",
    "a\u2024b",
    "Upper",
    "a--b",
    "-a",
    "a-",
    "a b",
    "a\nb",
    "",
    big(81),
  ].map((slug): ToolCase => ["publisher", "set_metadata", { ...META, slug }, "malformed_args", "promoted"]),
  ["publisher", "set_metadata", { ...META, slug: big(80) }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, slug: 5 }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, slug: ["a"] }, "malformed_args", "promoted"],
  // front matter injection, huge, empty and Unicode values in the metadata
  ["publisher", "set_metadata", { ...META, description: INJECT }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: UNICODE }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: LONE }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, description: MB }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, description: "" }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, description: " \n\t " }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ['x: y "z" #k', "---", "[a]"] }, "ok", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: "tag" }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: [] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ["a,b"] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: ["a\nb"] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: [1] }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, tags: Array(9).fill("t") }, "malformed_args", "promoted"],
  ["publisher", "set_metadata", { ...META, path: "/tmp/x" }, "malformed_args", "promoted"],
  [
    "publisher",
    "set_metadata",
    JSON.parse('{"__proto__": {"slug": "x"}, "description": "d", "tags": ["t"]}'),
    "malformed_args",
    "promoted",
  ],
  // wrong types for the whole input
  ["publisher", "set_metadata", "slug=x", "malformed_args", "promoted"],
  ["publisher", "set_metadata", [META], "malformed_args", "promoted"],
  ["publisher", "set_metadata", 42, "malformed_args", "promoted"],
  ["publisher", "set_metadata", null, "malformed_args", "promoted"],
  ["writer", "get_draft", null, "ok", "written"],
  // the brief: numbers as strings and strings as numbers, odd fields, injection
  ["intake", "update_brief_field", { field: "target_words", value: 900 }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: " 900 " }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "9e2" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "１２００" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "target_words", value: "-900" }, "malformed_args", "fresh"],
  [
    "intake",
    "update_brief_field",
    { field: "target_words", value: "9".repeat(400) },
    "malformed_args",
    "fresh",
  ],
  ["intake", "update_brief_field", { field: "__proto__", value: "x" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "constructor", value: "x" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: INJECT }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: UNICODE }, "ok", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: MB }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: "" }, "malformed_args", "fresh"],
  ["intake", "update_brief_field", { field: "title", value: "ab\u0007cd" }, "malformed_args", "fresh"],
  // the draft: headings that try to be Markdown structure or front matter
  [
    "planner",
    "create_draft",
    { title: INJECT, sections: [{ heading: "# x\n## y", goal: "---\nz: 1" }, ...sections(2)] },
    "ok",
    "fresh",
  ],
  ["planner", "create_draft", { title: UNICODE, sections: sections(3) }, "ok", "fresh"],
  ["planner", "create_draft", { title: "T", sections: sections(3) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: sections(13) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: sections(10_000) }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: "three" }, "malformed_args", "fresh"],
  ["planner", "create_draft", { title: "Title", sections: [[[[["deep"]]]]] }, "malformed_args", "fresh"],
  [
    "planner",
    "create_draft",
    { title: "Title", sections: [...sections(2), { heading: "h0", goal: "again" }] },
    "logic_error",
    "fresh",
  ],
  ["planner", "add_section", { heading: LONE, goal: "lone surrogate heading" }, "ok", "written"],
  ["planner", "add_section", { heading: "New", goal: "after s0", after: "s0" }, "malformed_args", "written"],
  ["planner", "add_section", { heading: "New", goal: "after 1", after: 1 }, "malformed_args", "written"],
  ["planner", "add_section", { heading: "New", goal: "after s99", after: "s99" }, "logic_error", "written"],
  // research: URLs that are paths or scripts, section ids that are not
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "javascript:alert(1)", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/" + "a".repeat(2000), title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/../../etc/passwd", title: INJECT },
    "ok",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1\n", url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "S1", url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: 1, url: "https://example.org/a", title: "x" },
    "malformed_args",
    "written",
  ],
  [
    "researcher",
    "add_citation",
    { section_id: "s1", url: "https://example.org/q", title: "x", quote: MB },
    "malformed_args",
    "written",
  ],
  ["researcher", "add_research_note", { section_id: "s2", note: UNICODE }, "ok", "written"],
  // text: a body that tries to be front matter, an unclosed fence, empty
  [
    "writer",
    "update_section",
    { section_id: "s1", markdown: "---\ntitle: pwned\n---\n```\nunclosed" },
    "ok",
    "written",
  ],
  ["writer", "update_section", { section_id: "s2", markdown: UNICODE + LONE }, "ok", "written"],
  ["writer", "update_section", { section_id: "s3", markdown: "" }, "malformed_args", "written"],
  ["writer", "update_section", { section_id: "s3", markdown: "x\u0000y" }, "malformed_args", "written"],
  // the editor's reason lands in the review file's front matter
  ["editor", "flag_for_review", { reason: INJECT }, "ok", "written"],
  ["editor", "flag_for_review", { reason: MB }, "malformed_args", "written"],
  ["editor", "request_revision", { section_id: "s1", instructions: UNICODE }, "ok", "written"],
  // names that are not tools, or not yours
  ...["__proto__", "constructor", "toString", "../set_metadata", "set_metadata\u0000", "", "SET_METADATA"]
    .map(
      (name): ToolCase => ["publisher", name, META, "wrong_tool", "promoted"],
    ),
  ["publisher", "update_section", { section_id: "s1", markdown: "mine now" }, "wrong_tool", "promoted"],
];

/** The step's name: the case's number, agent, tool and the start of its input. */
function caseName(i: number, [agent, tool, input]: ToolCase): string {
  return `tool case ${i}: ${agent} ${tool} ${JSON.stringify(input)?.slice(0, 60)}`;
}

/** One case: the call classified as the case says; if accepted, what it wrote reads back exactly. */
async function judge(
  data: string,
  label: string,
  [agent, tool, input, outcome, base]: ToolCase,
): Promise<void> {
  const state = baseState(base);
  const untouched = structuredClone(state);
  const result = runTool(agent, state, tool, input);
  assertEquals(result.outcome, outcome, `${label}: ${result.content.slice(0, 200)}`);
  assert(result.content.length < 2_000, `${label}: the message to the model stays short`);
  assertEquals(({} as Record<string, unknown>).slug, undefined, `${label}: Object.prototype untouched`);
  if (outcome !== "ok") {
    assertEquals(state, untouched, `${label}: a failed call changes nothing`);
    return;
  }
  // Whatever was accepted goes to disk as the pipeline writes it: the mirror, a review file, the article.
  const id = ulid();
  await mirrorWorkflow(data, id, { brief: state.brief, draftMarkdown: renderDraft(state) });
  const reason = state.decision?.kind === "flagged" ? state.decision.reason : "stuck";
  const review = await writeReview(data, id, { kind: "flagged", reason, state, stage: agent });
  assertEquals(review, `${data}/review/${id}.md`, label);
  const head = parseYaml(splitFrontMatter(await Deno.readTextFile(review)).yaml);
  assertEquals(
    Object.keys(head),
    ["workflow_id", "kind", "stage", "reason", "at"],
    `${label}: review fields`,
  );
  assertEquals(head.reason, reason, `${label}: the reason reads back exactly`);
  if (!state.draft) return;
  state.metadata ??= { slug: "fallback", description: "d", tags: ["t"] };
  const article = renderArticle(state, {
    workflowId: id,
    models: { publisher: "claude-sonnet-4-6" },
    costUsd: 0.5,
    publishedAt: new Date(0).toISOString(),
  });
  const path = await publishArticle(data, state.metadata.slug, article);
  assert(path.startsWith(`${data}/published/${state.metadata.slug}`), `${label}: published at ${path}`);
  const front = parseFrontMatter(await Deno.readTextFile(path));
  assertEquals(
    Object.keys(front),
    ["title", "description", "tags", "workflow_id", "models", "cost_usd", "published_at", "sources"],
    `${label}: no field injected`,
  );
  assertEquals([front.title, front.description, front.tags], [
    state.draft.title,
    state.metadata.description,
    state.metadata.tags,
  ], `${label}: metadata reads back exactly`);
}

Deno.test(`hostile tool arguments (${TOOL_CASES.length} cases): classified, or harmless on disk and inside the data folder`, async (t) => {
  const root = await tempDir();
  const data = `${root}/data`;
  await Deno.mkdir(data);
  for (const [i, c] of TOOL_CASES.entries()) {
    const label = caseName(i, c);
    await t.step({ name: label, ignore: !selected(label), fn: () => judge(data, label, c) });
  }
  // every file landed in the layout, inside the data folder, and nothing was left half-written
  const files: string[] = [];
  for await (const [path] of filesUnder(root)) files.push(`${DATA}/${path.slice(data.length + 1)}`);
  for (const path of files) assertMatch(path, LAYOUT, "a file outside the layout");
  assertEquals(files.filter((p) => isTempName(p.split("/").pop()!)), []);
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["data"]);
});
