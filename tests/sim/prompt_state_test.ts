/** What the simulated model reads from a stage's first message, rendered from the real prompt files. */
import { assertEquals } from "../assert.ts";
import { emptyState } from "../../src/content/state.ts";
import { loadPrompts, renderVolatile } from "../../src/pipeline/prompts.ts";
import { promptState } from "../../src/sim/prompt_state.ts";
import { stateFor } from "./harness.ts";

Deno.test("prompt state: intake's prompt gives back the request's topic, notes and source files", async () => {
  const prompts = await loadPrompts(undefined);
  const request = {
    topic: "How tides work",
    notes: "Audience: sailors\n- The moon's pull\n- Spring and neap tides",
    sources: [{ name: "almanac.txt", text: "Tide tables: https://example.org/tides\nHigh water at 06:12." }],
  };
  const shown = promptState(renderVolatile(prompts, "intake", emptyState(request)));
  assertEquals(shown.brief?.request, request);
  assertEquals(shown.brief?.missing.length, 8);
  assertEquals(shown.draft, { draft: null });
});

Deno.test("prompt state: the writer's prompt gives back the draft; the publisher's the outline; the planner's no draft", async () => {
  const prompts = await loadPrompts(undefined);
  const writer = stateFor("writer");
  const shown = promptState(renderVolatile(prompts, "writer", writer));
  assertEquals(shown.brief?.brief, writer.brief);
  assertEquals(shown.draft, {
    title: writer.draft!.title,
    sections: writer.draft!.sections,
    revision_rounds: 0,
  });
  const publisher = stateFor("publisher");
  const outline = promptState(renderVolatile(prompts, "publisher", publisher)).draft;
  assertEquals(
    outline && "sections" in outline ? outline.sections.map((s) => [s.id, s.heading]) : [],
    publisher.draft!.sections.map((s) => [s.id, s.heading]),
  );
  assertEquals(promptState(renderVolatile(prompts, "planner", stateFor("planner"))).draft, { draft: null });
  assertEquals(promptState("Write the article."), {});
});
