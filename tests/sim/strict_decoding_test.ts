/**
 * Strict tool use in the simulated model: the mistakes strict decoding cannot produce (an unknown tool,
 * a wrong type, a missing field, an unknown property, a value outside an enum) are never made; those it
 * lets through (a length, an item count, a state rule) still are, and the tool layer still classifies them.
 */
import { assert, assertEquals } from "../assert.ts";
import { decodableUnderStrict, strictToolSchemas } from "../../src/sim/strict_decoding.ts";
import { PROFILES } from "../../src/sim/profiles.ts";
import { createRng } from "../../src/sim/rng.ts";
import { STRICT_TOOL_DEFINITIONS, TOOL_DEFINITIONS, TOOL_NAMES } from "../../src/pipeline/tools.ts";
import type { AgentId } from "../../src/config/schema.ts";
import { afterReads, classify, type Outcome, play, stateFor } from "./harness.ts";

Deno.test("strict decoding: types, required fields, enums and unknown properties hold; lengths are not its business", () => {
  const schema = STRICT_TOOL_DEFINITIONS.find((t) => t.name === "update_brief_field")!.input_schema;
  assert(
    decodableUnderStrict(schema, { field: "tone", value: "x" }),
    "a one-letter tone: too short, but decodable",
  );
  assertEquals(
    [
      { field: "summary", value: "x" },
      { field: "tone" },
      { field: "tone", value: 5 },
      { field: "tone", value: "x", extra: true },
    ].map((input) => decodableUnderStrict(schema, input)),
    [false, false, false, false],
  );
  const draft = STRICT_TOOL_DEFINITIONS.find((t) => t.name === "create_draft")!.input_schema;
  assert(decodableUnderStrict(draft, { title: "T", sections: [{ heading: "H", goal: "G" }] }), "one section");
  assert(!decodableUnderStrict(draft, { title: "T", sections: [] }), "minItems 1 holds");
  assert(!decodableUnderStrict(draft, { title: "T", sections: [{ heading: "H" }] }), "goal is required");
  assertEquals([...strictToolSchemas(STRICT_TOOL_DEFINITIONS).keys()], TOOL_NAMES);
  assertEquals(strictToolSchemas(TOOL_DEFINITIONS).size, 0);
});

/** 2,000 Sonnet mutation attempts over the six roles, classified by the tool layer. */
function attempts(strict?: Map<string, unknown>) {
  const roles: AgentId[] = ["intake", "planner", "researcher", "writer", "editor", "publisher"];
  const rng = createRng(21);
  const counts: Record<Outcome, number> = { ok: 0, wrong_tool: 0, malformed: 0, logic: 0 };
  const undecodable: string[] = [];
  let unknownNames = 0;
  for (let i = 0, made = 0; made < 2000; i++) {
    const agent = roles[i % roles.length];
    const state = stateFor(agent);
    const turn = play(agent, afterReads(agent, state), PROFILES.sonnet, rng, strict);
    if (!turn.outcomes) continue;
    for (const call of turn.calls) {
      if (strict && (!strict.has(call.name) || !decodableUnderStrict(strict.get(call.name), call.input))) {
        undecodable.push(`${agent}: ${call.name} ${JSON.stringify(call.input).slice(0, 120)}`);
      }
      counts[classify(agent, call.name, call.input, state).outcome]++;
      if (!(TOOL_NAMES as readonly string[]).includes(call.name)) unknownNames++;
      made++;
    }
  }
  return { counts, undecodable, unknownNames };
}

Deno.test("under strict tools, the simulated model makes only the mistakes strict decoding lets through", () => {
  const plain = attempts();
  const strict = attempts(strictToolSchemas(STRICT_TOOL_DEFINITIONS));
  assertEquals(strict.undecodable, [], "every call is one strict decoding could produce");
  // Fewer malformed calls (what is left: lengths, item counts) and never a tool name that was not offered
  // (another agent's tool still is), while the mistakes strict decoding cannot prevent are still made.
  assert(strict.counts.malformed < plain.counts.malformed, JSON.stringify({ plain, strict }));
  assert(plain.unknownNames > 0, "without strict, some calls name a tool that does not exist");
  assertEquals(strict.unknownNames, 0);
  assert(strict.counts.malformed > 0 && strict.counts.wrong_tool > 0 && strict.counts.logic > 0);
  console.log(
    `  sonnet, 2000 attempts: plain ${JSON.stringify(plain.counts)}, strict ${JSON.stringify(strict.counts)}`,
  );
});
