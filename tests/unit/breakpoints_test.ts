/**
 * The fourth breakpoint: where the previous request of a loop ended. A turn that adds 20 or more blocks
 * would otherwise leave the previous cache entry beyond the API's 20-block lookback, and the whole
 * conversation would be written to the cache again. Checked on the simulated model's cache, which
 * follows the API's rules.
 */
// deno-lint-ignore-file no-explicit-any
import { assertEquals } from "../assert.ts";
import type Anthropic from "@anthropic-ai/sdk";
import {
  buildRequest,
  countBreakpoints,
  prefixBlocks,
  type PromptSpec,
  type Turn,
} from "../../src/claude/request.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";

const STABLE = ["Shared rules of the house. ".repeat(300), "You are the intake. ".repeat(300)];

/** An assistant turn of `n` tool calls and the user turn of their results (each `words` long): 2n blocks. */
function parallelCalls(n: number, from: number, words = 5): Turn[] {
  const ids = Array.from({ length: n }, (_, i) => `toolu_${from + i}`);
  return [
    { role: "assistant", content: ids.map((id) => ({ type: "tool_use", id, name: "get_brief", input: {} })) },
    {
      role: "user",
      content: ids.map((id) => ({
        type: "tool_result",
        tool_use_id: id,
        content: `the brief, as read by ${id}: ${"word ".repeat(words)}`,
      })),
    },
  ];
}

const spec = (turns: Turn[], knownPrefix?: { blocks: number }): PromptSpec => ({
  model: "claude-sonnet-4-6",
  maxTokens: 512,
  cacheTtl: "5m",
  stable: STABLE,
  volatile: "The request: a piece on tides.",
  tools: TOOL_DEFINITIONS,
  turns,
  knownPrefix,
});

const marked = (params: Anthropic.MessageCreateParamsNonStreaming) =>
  prefixBlocks(params).flatMap((b: any, i) => (b.cache_control ? [i] : []));

Deno.test("the previous request's end carries a breakpoint; never more than four", () => {
  const first = buildRequest(spec(parallelCalls(2, 0)));
  const known = { blocks: prefixBlocks(first).length };
  const second = buildRequest(spec([...parallelCalls(2, 0), ...parallelCalls(12, 10)], known));
  const tools = TOOL_DEFINITIONS.length;
  // Shared and agent blocks, the previous end (volatile + 4 blocks), and the newest block.
  assertEquals(marked(second), [tools, tools + 1, known.blocks - 1, prefixBlocks(second).length - 1]);
  assertEquals(countBreakpoints(second), 4);
  // The caller's turns are not changed.
  assertEquals(JSON.stringify(parallelCalls(2, 0)).includes("cache_control"), false);
  // Without a known prefix (the first request of a stage), the layout is as it was.
  assertEquals(marked(first), [tools, tools + 1, prefixBlocks(first).length - 1]);
});

Deno.test("a turn of twenty-four blocks is read from the cache, not written again", async () => {
  const usageOf = async (
    body: Anthropic.MessageCreateParamsNonStreaming,
    sim: ReturnType<typeof createSimulator>,
  ) => {
    const response = await sim.handle(
      new Request("http://sim.invalid/v1/messages", {
        method: "POST",
        headers: { "x-api-key": "test", "anthropic-version": "2023-06-01", "x-pressroom-agent": "intake" },
        body: JSON.stringify(body),
      }),
    );
    return (await response.json()).usage;
  };
  const run = async (withPrevious: boolean) => {
    const sim = createSimulator({ seed: 3, quirks: false });
    // The first turn reads a long brief twice; the second makes twelve small calls at once.
    const first = parallelCalls(2, 0, 600);
    const short = buildRequest(spec(first));
    await usageOf(short, sim);
    const known = withPrevious ? { blocks: prefixBlocks(short).length } : undefined;
    return await usageOf(buildRequest(spec([...first, ...parallelCalls(12, 10)], known)), sim);
  };
  const before = await run(false);
  const after = await run(true);
  // Without the fourth breakpoint only the system blocks are read, and the first turn (over 1,000
  // tokens) is written again; with it, the whole previous request is read and only the new turn written.
  const rewritten = before.cache_creation_input_tokens - after.cache_creation_input_tokens;
  assertEquals(after.cache_read_input_tokens - before.cache_read_input_tokens, rewritten);
  assertEquals(rewritten > 1_000, true, `${rewritten} tokens`);
  assertEquals([before.input_tokens, after.input_tokens], [0, 0]);
});
