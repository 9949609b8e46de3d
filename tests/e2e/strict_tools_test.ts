/** `agents.<id>.strict`: that agent is offered the strict tool definitions, which the API (and the fake) accept. */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { strictProblems } from "../../src/claude/strict_schema.ts";
import { startHarness } from "./harness.ts";

Deno.test("an agent on strict gets the twelve tools with strict: true; the others keep the full schemas", async () => {
  const h = await startHarness({
    script: (agent) =>
      agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined,
    config: { agents: { writer: { strict: true } } },
  });
  try {
    const wf = h.deps.store.create({ topic: "Strict writers" }, DEFAULT_MODELS);
    await h.run();
    assertEquals(h.deps.store.get(wf.id).status, "published", h.deps.store.get(wf.id).reason ?? "");
    const byAgent = (agent: string) =>
      h.api.requests.filter((r) => r.headers.get("x-pressroom-agent") === agent).map((r) => r.body.tools);
    for (const tools of byAgent("writer")) {
      assertEquals(tools.map((t: any) => t.strict), Array(12).fill(true));
      assertEquals(tools.flatMap((t: any) => strictProblems(t.input_schema)), []);
    }
    for (const tools of byAgent("planner")) {
      assert(tools.every((t: any) => t.strict === undefined));
      assertEquals(
        tools.find((t: any) => t.name === "create_draft").input_schema.properties.sections.maxItems,
        12,
      );
    }
    assertEquals(h.api.requests.flatMap((r) => r.problems), [], "the fake API found nothing wrong");
  } finally {
    await h.close();
  }
});
