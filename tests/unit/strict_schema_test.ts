/** Strict tool use: the subset of JSON Schema strict mode takes, and the tool definitions in both forms. */
// deno-lint-ignore-file no-explicit-any
import { assertEquals } from "../assert.ts";
import { strictProblems, toStrictSchema } from "../../src/claude/strict_schema.ts";
import { runTool } from "../../src/pipeline/run_tool.ts";
import { emptyState } from "../../src/content/state.ts";
import { STRICT_TOOL_DEFINITIONS, TOOL_DEFINITIONS, toolDefinitions } from "../../src/pipeline/tools.ts";

const byName = (defs: typeof TOOL_DEFINITIONS, name: string) => defs.find((t) => t.name === name)!;

Deno.test("the tool schemas sent carry their length limits and item counts, which the input side lost", () => {
  const props = (name: string) =>
    byName(TOOL_DEFINITIONS, name).input_schema.properties as Record<string, any>;
  assertEquals(props("update_section").markdown, { type: "string", minLength: 1, maxLength: 20_000 });
  assertEquals(
    [
      props("create_draft").sections.minItems,
      props("create_draft").sections.maxItems,
      props("create_draft").title,
    ],
    [3, 12, { type: "string", minLength: 3, maxLength: 150 }],
  );
  assertEquals(props("set_metadata").slug, {
    type: "string",
    maxLength: 80,
    pattern: "^[a-z0-9]+(-[a-z0-9]+)*$",
  });
});

Deno.test("strict mode's refusals are found wherever they stand; a strict copy has none and keeps the rest", () => {
  const full = byName(TOOL_DEFINITIONS, "create_draft").input_schema;
  assertEquals(strictProblems(full), [
    "input_schema.properties.title.minLength: not supported with strict",
    "input_schema.properties.title.maxLength: not supported with strict",
    "input_schema.properties.sections.maxItems: not supported with strict",
    "input_schema.properties.sections.minItems: only 0 or 1 is supported with strict",
    "input_schema.properties.sections.items.properties.heading.minLength: not supported with strict",
    "input_schema.properties.sections.items.properties.heading.maxLength: not supported with strict",
    "input_schema.properties.sections.items.properties.goal.minLength: not supported with strict",
    "input_schema.properties.sections.items.properties.goal.maxLength: not supported with strict",
  ]);
  assertEquals(toStrictSchema(full), {
    type: "object",
    properties: {
      title: { type: "string" },
      sections: {
        minItems: 1,
        type: "array",
        items: {
          type: "object",
          properties: { heading: { type: "string" }, goal: { type: "string" } },
          required: ["heading", "goal"],
          additionalProperties: false,
        },
      },
    },
    required: ["title", "sections"],
    additionalProperties: false,
  });
  assertEquals(strictProblems({ type: "object", properties: {} }), [
    "input_schema.additionalProperties: must be false with strict",
  ]);
  for (const tool of STRICT_TOOL_DEFINITIONS) {
    assertEquals([tool.name, tool.strict, strictProblems(tool.input_schema)], [tool.name, true, []]);
  }
  assertEquals(toolDefinitions({ strict: true }), STRICT_TOOL_DEFINITIONS);
  assertEquals(toolDefinitions({ strict: false }), TOOL_DEFINITIONS);
});

Deno.test("a rule strict mode cannot carry stays in the tool's own validation: still malformed_args", () => {
  // Valid under the strict schema (one section is enough there), refused by create_draft's own rules.
  const result = runTool("planner", emptyState({ topic: "Tides" }), "create_draft", {
    title: "Tides",
    sections: [{ heading: "Why", goal: "Explain the moon's pull" }],
  });
  assertEquals(result.outcome, "malformed_args");
  assertEquals(
    result.content,
    "Invalid arguments for create_draft: sections: Too small: expected array to have >=3 items",
  );
});
