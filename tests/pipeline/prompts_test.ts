/** Prompt blocks: built-in defaults, user overrides, and errors that name the file. */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { loadPrompts, PROMPT_FILES, PromptError, renderVolatile } from "../../src/pipeline/prompts.ts";
import { emptyState } from "../../src/content/state.ts";
import { tempDir } from "../helpers.ts";

Deno.test("the built-in prompts load, and every volatile block renders from the state", async () => {
  const prompts = await loadPrompts(undefined);
  assertEquals(PROMPT_FILES.length, 13);
  const state = emptyState({ topic: "Tide pools", notes: "See https://example.org/tides" });
  for (const agent of Object.keys(prompts.agents) as (keyof typeof prompts.agents)[]) {
    const text = renderVolatile(prompts, agent, state);
    assert(!text.includes("{{"), `${agent} left a placeholder unrendered`);
  }
  assertMatch(
    renderVolatile(prompts, "intake", state),
    /Topic: Tide pools[\s\S]*https:\/\/example\.org\/tides/,
  );
});

Deno.test("a file in the user's prompts folder replaces the built-in one", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/writer`, { recursive: true });
  await Deno.writeTextFile(`${dir}/writer/volatile.md`, "Write it. Brief: {{brief}}");
  const prompts = await loadPrompts(dir);
  assertEquals(prompts.agents.writer.volatile.file, `${dir}/writer/volatile.md`);
  assertEquals(prompts.agents.editor.volatile.file, "(built-in) prompts/editor/volatile.md");
  assertMatch(renderVolatile(prompts, "writer", emptyState({ topic: "x" })), /^Write it\. Brief: ```json/);
});

Deno.test("an empty block, an unknown placeholder, or a placeholder in a stable block is an error naming the file", async () => {
  const dir = await tempDir();
  await Deno.mkdir(`${dir}/editor`, { recursive: true });
  await Deno.writeTextFile(`${dir}/editor/stable.md`, "  \n");
  let error = await assertRejects(() => loadPrompts(dir), PromptError);
  assertEquals(error.message, `${dir}/editor/stable.md: is empty`);

  await Deno.writeTextFile(`${dir}/editor/stable.md`, "Decide. {{draft}}");
  error = await assertRejects(() => loadPrompts(dir), PromptError);
  assertMatch(error.message, /editor\/stable\.md: \{\{draft\}\}: stable blocks are sent as written/);

  await Deno.remove(`${dir}/editor/stable.md`);
  await Deno.writeTextFile(`${dir}/editor/volatile.md`, "Decide on {{drafft}}");
  error = await assertRejects(() => loadPrompts(dir), PromptError);
  assertMatch(
    error.message,
    /editor\/volatile\.md: unknown placeholder \{\{drafft\}\}; known: \{\{topic\}\}/,
  );
  assertEquals(error.exitCode, 2);
});
