/**
 * The prompt-cache simulation: Anthropic's rules, first on the pure cache, then
 * through the simulator with requests laid out by the real buildRequest.
 */
import { assert, assertEquals } from "../assert.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { type PrefixBlock, PromptCache } from "../../src/sim/cache.ts";
import { TTL_MS } from "../../src/pricing/cache_ttl.ts";
import { createSimulator, TOOL_USE_SYSTEM_TOKENS } from "../../src/sim/simulator.ts";
import { NEW_TOKENIZER } from "../../src/sim/profiles.ts";
import { TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";
import { agentStable, SHARED_STABLE, simClient } from "./harness.ts";

const OPUS = "claude-opus-4-7";
const SONNET = "claude-sonnet-4-6";

const MIN = 1024;
const MODEL = "claude-sonnet-4-6";

/** A prompt: 3 "tool" blocks, 2 system blocks (both breakpoints), then message blocks. */
function prompt(options: { system?: string; messages?: string[]; tokens?: number; ttl?: "5m" | "1h" } = {}) {
  const t = options.tokens ?? 400;
  const blocks: PrefixBlock[] = [
    { key: "tool:a", tokens: t },
    { key: "tool:b", tokens: t },
    { key: "tool:c", tokens: t },
    { key: `sys:${options.system ?? "shared"}`, tokens: t, breakpoint: options.ttl ?? "5m" },
    { key: "sys:agent", tokens: t, breakpoint: options.ttl ?? "5m" },
  ];
  for (const m of options.messages ?? ["volatile"]) blocks.push({ key: `msg:${m}`, tokens: 50 });
  return blocks;
}

Deno.test("cache: the first call writes the prefix, the second reads it; what follows the last breakpoint is input", () => {
  const cache = new PromptCache();
  const first = cache.apply(MODEL, prompt(), 0, MIN);
  assertEquals(first, {
    input_tokens: 50,
    cache_creation_input_tokens: 2000,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 },
  });
  const second = cache.apply(MODEL, prompt(), 1000, MIN);
  assertEquals(second, {
    input_tokens: 50,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 2000,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
  });
});

Deno.test("cache: an entry expires after its TTL; just before, it is still read", () => {
  const cache = new PromptCache();
  cache.apply(MODEL, prompt(), 0, MIN);
  assertEquals(cache.apply(MODEL, prompt(), TTL_MS["5m"] - 1, MIN).cache_read_input_tokens, 2000);
  // That read refreshed it: expiry is now 2*5m - 1.
  const late = cache.apply(MODEL, prompt(), 2 * TTL_MS["5m"], MIN);
  assertEquals(late.cache_read_input_tokens, 0);
  assertEquals(late.cache_creation_input_tokens, 2000);
});

Deno.test("cache: a read refreshes the TTL, so steady traffic keeps an entry alive past its first TTL", () => {
  const cache = new PromptCache();
  cache.apply(MODEL, prompt(), 0, MIN);
  const minute = 60_000;
  for (const at of [4, 8, 12, 16]) {
    assertEquals(
      cache.apply(MODEL, prompt(), at * minute, MIN).cache_read_input_tokens,
      2000,
      `read at ${at} min`,
    );
  }
  // Idle for more than 5 minutes after the last read at 16 min: gone.
  assertEquals(cache.apply(MODEL, prompt(), 21 * minute + 1, MIN).cache_read_input_tokens, 0);
});

Deno.test("cache: a 1h entry outlives a 5m one", () => {
  const cache = new PromptCache();
  cache.apply(MODEL, prompt({ ttl: "1h" }), 0, MIN);
  assertEquals(cache.apply(MODEL, prompt({ ttl: "1h" }), 59 * 60_000, MIN).cache_read_input_tokens, 2000);
  assertEquals(
    cache.apply(MODEL, prompt({ ttl: "1h" }), 59 * 60_000 + TTL_MS["1h"], MIN).cache_read_input_tokens,
    0,
  );
});

Deno.test("cache: a prefix below the model's minimum is never cached, and no error says so", () => {
  const cache = new PromptCache();
  const small = prompt({ tokens: 100 }); // 500 tokens up to the last breakpoint
  const first = cache.apply(MODEL, small, 0, MIN);
  assertEquals(first.cache_creation_input_tokens, 0);
  assertEquals(first.input_tokens, 550);
  assertEquals(cache.apply(MODEL, small, 1, MIN).cache_read_input_tokens, 0);
  assertEquals(cache.size(1), 0);
});

Deno.test("cache: a first breakpoint below the minimum rolls its tokens into the next one that is cacheable", () => {
  const cache = new PromptCache();
  // First breakpoint at 4*300 = 1200? Make it 900: below 1024; second at 1200: above.
  const blocks: PrefixBlock[] = [
    { key: "a", tokens: 600 },
    { key: "b", tokens: 300, breakpoint: "5m" },
    { key: "c", tokens: 300, breakpoint: "5m" },
    { key: "d", tokens: 10 },
  ];
  const usage = cache.apply(MODEL, blocks, 0, MIN);
  assertEquals(usage.cache_creation_input_tokens, 1200);
  assertEquals(usage.input_tokens, 10);
  assertEquals(cache.size(0, MODEL), 1);
});

Deno.test("cache: entries are per model, so a model switch misses", () => {
  const cache = new PromptCache();
  cache.apply("claude-sonnet-4-6", prompt(), 0, MIN);
  const other = cache.apply("claude-opus-4-6", prompt(), 1, MIN);
  assertEquals(other.cache_read_input_tokens, 0);
  assertEquals(other.cache_creation_input_tokens, 2000);
  assertEquals(cache.apply("claude-sonnet-4-6", prompt(), 2, MIN).cache_read_input_tokens, 2000);
});

Deno.test("cache: 1h and 5m writes are reported apart (1h breakpoints first)", () => {
  const cache = new PromptCache();
  const blocks: PrefixBlock[] = [
    { key: "tools", tokens: 1500, breakpoint: "1h" },
    { key: "system", tokens: 500, breakpoint: "5m" },
    { key: "turn", tokens: 40 },
  ];
  const usage = cache.apply(MODEL, blocks, 0, MIN);
  assertEquals(usage.cache_creation, { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1500 });
  assertEquals(usage.cache_creation_input_tokens, 2000);
  // Ten minutes later the 5m part is gone and the 1h part is read.
  const later = cache.apply(MODEL, blocks, 10 * 60_000, MIN);
  assertEquals(later.cache_read_input_tokens, 1500);
  assertEquals(later.cache_creation, { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 0 });
});

Deno.test("cache: changing the system prompt keeps a cached tools prefix but rewrites system and messages", () => {
  const cache = new PromptCache();
  const withToolsBreakpoint = (system: string) => {
    const blocks = prompt({ system });
    blocks[2] = { ...blocks[2], breakpoint: "5m" }; // a breakpoint on the last tool
    return blocks;
  };
  cache.apply(MODEL, withToolsBreakpoint("v1"), 0, MIN);
  const changed = cache.apply(MODEL, withToolsBreakpoint("v2"), 1, MIN);
  assertEquals(changed.cache_read_input_tokens, 1200, "the tools prefix is still read");
  assertEquals(changed.cache_creation_input_tokens, 800, "both system blocks are written again");
  // Without a breakpoint on the tools, nothing before the changed block can be read.
  const plain = new PromptCache();
  plain.apply(MODEL, prompt({ system: "v1" }), 0, MIN);
  assertEquals(plain.apply(MODEL, prompt({ system: "v2" }), 1, MIN).cache_read_input_tokens, 0);
});

Deno.test("cache: a moving breakpoint on the newest turn reads the previous turn's prefix (20-block lookback)", () => {
  const cache = new PromptCache();
  const turn = (n: number) => {
    const blocks = prompt({ messages: Array.from({ length: n }, (_, i) => `m${i}`) });
    blocks[blocks.length - 1] = { ...blocks.at(-1)!, breakpoint: "5m" };
    return blocks;
  };
  cache.apply(MODEL, turn(2), 0, MIN);
  const next = cache.apply(MODEL, turn(4), 1, MIN);
  assertEquals(next.cache_read_input_tokens, 2100);
  assertEquals(next.cache_creation_input_tokens, 100);
  // 25 new blocks after the last cached one: past the lookback, only the system prefix is found.
  const far = cache.apply(MODEL, turn(29), 2, MIN);
  assertEquals(far.cache_read_input_tokens, 2000);
});

Deno.test("cache through the simulator: the real layout writes tools+system once and reads it after", async () => {
  let clock = Date.parse("2026-11-24T10:00:00Z");
  const sim = createSimulator({ now: () => clock });
  const client = simClient(sim);
  const params = (agent: string) =>
    buildRequest({
      model: MODEL,
      maxTokens: 256,
      cacheTtl: "5m",
      stable: [SHARED_STABLE, agentStable(agent as "writer")],
      volatile: "Workflow wf-1.",
      tools: TOOL_DEFINITIONS,
    });
  const headers = { "x-pressroom-agent": "writer", "x-pressroom-workflow": "wf-1" };
  const first = await client.messages.create(params("writer"), { headers });
  assert(first.usage.cache_creation_input_tokens! > 1024, "the stable prefix is written");
  assertEquals(first.usage.cache_read_input_tokens, 0);
  assertEquals(
    first.usage.cache_creation?.ephemeral_5m_input_tokens,
    first.usage.cache_creation_input_tokens,
  );
  clock += 60_000;
  const second = await client.messages.create(params("writer"), { headers });
  assertEquals(second.usage.cache_read_input_tokens, first.usage.cache_creation_input_tokens);
  assertEquals(second.usage.cache_creation_input_tokens, 0);
  assertEquals(second.usage.input_tokens, first.usage.input_tokens);
  // Another agent shares tools + the shared block, and writes only its own block.
  const editor = await client.messages.create(params("editor"), {
    headers: { ...headers, "x-pressroom-agent": "editor" },
  });
  assert(
    editor.usage.cache_read_input_tokens! > 0 &&
      editor.usage.cache_read_input_tokens! < second.usage.cache_read_input_tokens!,
  );
  assert(editor.usage.cache_creation_input_tokens! > 0);
  // Six minutes of silence: the 5m entries are gone.
  clock += 6 * 60_000;
  const cold = await client.messages.create(params("writer"), { headers });
  assertEquals(cold.usage.cache_read_input_tokens, 0);
  assertEquals(cold.usage.cache_creation_input_tokens, first.usage.cache_creation_input_tokens);
});

Deno.test("cache through the simulator: Opus 4.7's tokenizer counts ~9 % more on prose and ~12 % more on the tools", async () => {
  const sim = createSimulator();
  const client = simClient(sim);
  const usageOf = async (model: string, tools?: typeof TOOL_DEFINITIONS) => {
    const params = buildRequest({
      model,
      maxTokens: 256,
      cacheTtl: "5m",
      stable: [SHARED_STABLE, agentStable("editor")],
      volatile: "Workflow wf-1.",
      tools,
    });
    const m = await client.messages.create(params, { headers: { "x-pressroom-agent": "editor" } });
    return m.usage.cache_creation_input_tokens! + m.usage.cache_read_input_tokens! + m.usage.input_tokens;
  };
  // The field report: "roughly 8–10% to input token counts on my prose-heavy prompts", and the tool
  // definitions "roughly 12% more on my 12-tool surface".
  const prose = (await usageOf(OPUS)) / (await usageOf(SONNET));
  assert(prose >= 1.08 && prose <= 1.10, `prose ratio ${prose}`);
  const toolTokens = async (model: string) =>
    (await usageOf(model, TOOL_DEFINITIONS)) - (await usageOf(model));
  const tools = (await toolTokens(OPUS) - TOOL_USE_SYSTEM_TOKENS) /
    (await toolTokens(SONNET) - TOOL_USE_SYSTEM_TOKENS);
  assert(Math.abs(tools - NEW_TOKENIZER.tools) <= 0.005, `tools ratio ${tools}`);
});
