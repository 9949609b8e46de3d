/** Request layout and the worst-case estimate behind each reservation. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { buildRequest, countBreakpoints } from "../../src/claude/request.ts";
import { promptStretches, REQUEST_OVERHEAD_TOKENS, worstCaseNano } from "../../src/claude/estimate.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { MODELS } from "../../src/models/catalog.ts";
import { createRng, type Rng } from "../../src/sim/rng.ts";

const spec = {
  model: "claude-opus-4-7",
  maxTokens: 1000,
  cacheTtl: "1h" as const,
  stable: ["shared rules", "agent rules"],
  volatile: "the brief as it stands",
};

Deno.test("stable blocks carry cache_control with the agent's TTL; the volatile block carries none", () => {
  const params = buildRequest(spec);
  assertEquals(params.system, [
    { type: "text", text: "shared rules", cache_control: { type: "ephemeral", ttl: "1h" } },
    { type: "text", text: "agent rules", cache_control: { type: "ephemeral", ttl: "1h" } },
  ]);
  assertEquals(params.messages, [{
    role: "user",
    content: [{ type: "text", text: "the brief as it stands" }],
  }]);
  assertEquals(countBreakpoints(params), 2);
});

Deno.test("in a multi-turn loop only the newest turn gets a breakpoint, and the caller's turns stay untouched", () => {
  const turns = [
    { role: "assistant" as const, content: [{ type: "text" as const, text: "calling a tool" }] },
    { role: "user" as const, content: "nudge one" },
    { role: "assistant" as const, content: "second answer" },
    {
      role: "user" as const,
      content: [{ type: "text" as const, text: "a" }, { type: "text" as const, text: "b" }],
    },
  ];
  const before = structuredClone(turns);
  const params = buildRequest({ ...spec, turns });
  assertEquals(countBreakpoints(params), 3);
  const newest = params.messages.at(-1)!.content as { cache_control?: unknown }[];
  assertEquals(newest[1].cache_control, { type: "ephemeral", ttl: "1h" });
  assertEquals(newest[0].cache_control, undefined);
  assertEquals(params.messages[2].content, "nudge one", "older turns keep no breakpoint");
  assertEquals(turns, before);
});

Deno.test("more than four breakpoints is refused before anything is sent", () => {
  assertThrows(
    () =>
      buildRequest({
        ...spec,
        stable: ["a", "b", "c", "d"],
        turns: [{ role: "assistant", content: "x" }, { role: "user", content: "y" }],
      }),
    Error,
    "5 cache breakpoints",
  );
});

Deno.test("effort, adaptive thinking and web search reach the request", () => {
  const params = buildRequest({
    ...spec,
    effort: "high",
    thinking: { type: "adaptive" },
    webSearchMaxUses: 2,
  });
  assertEquals(params.output_config, { effort: "high" });
  assertEquals(params.thinking, { type: "adaptive" });
  assertEquals(params.tools, [{
    type: "web_search_20250305",
    name: "web_search",
    max_uses: 2,
    allowed_callers: ["direct"],
  }]);
});

Deno.test("web search's version and domain filter, and web fetch with its content bound, reach the request", () => {
  const params = buildRequest({
    ...spec,
    webSearchMaxUses: 2,
    webSearchOptions: {
      type: "web_search_20260209",
      allowedDomains: ["noaa.gov", "tidesandcurrents.noaa.gov"],
    },
    webFetch: { maxUses: 1, maxContentTokens: 20_000 },
  });
  assertEquals(params.tools, [
    {
      type: "web_search_20260209",
      name: "web_search",
      max_uses: 2,
      allowed_callers: ["direct"],
      allowed_domains: ["noaa.gov", "tidesandcurrents.noaa.gov"],
    },
    {
      type: "web_fetch_20250910",
      name: "web_fetch",
      max_uses: 1,
      allowed_callers: ["direct"],
      max_content_tokens: 20_000,
      allowed_domains: ["noaa.gov", "tidesandcurrents.noaa.gov"],
    },
  ]);
  // The worst case holds what a fetch may bring back, read again by every later pass: one fetch of 20,000
  // tokens first, then two searches of 25,000, each result read by the passes after it.
  const priced = new PriceBook().require("claude-opus-4-7");
  const withoutFetch = buildRequest({
    ...spec,
    webSearchMaxUses: 2,
    webSearchOptions: { type: "web_search_20260209" },
  });
  assert(worstCaseNano(params, priced) > worstCaseNano(withoutFetch, priced) + 20_000 * 5_000);
});

Deno.test("the prompt is cut at each breakpoint and each stretch priced at its highest possible rate", () => {
  const params = buildRequest(spec);
  const stretches = promptStretches(params);
  assertEquals(stretches.map((s) => s.ttl), ["1h", "1h", null]);
  const priced = new PriceBook().require("claude-opus-4-7");
  const tokens = stretches.map((s) => s.tokens);
  assert(tokens[0] > REQUEST_OVERHEAD_TOKENS, "the overhead sits in the first stretch");
  // 1h writes at $10/MTok (10 000 nano), the rest at $5, output at $25; all of it × 1.1 (US-only inference,
  // which Opus 4.7 bills and only the response reveals). Every rate is a multiple of 10 nano: exact.
  const standard = (tokens[0] + tokens[1]) * 10_000 + tokens[2] * 5_000 + 1000 * 25_000;
  assertEquals(worstCaseNano(params, priced), standard / 10 * 11);
});

Deno.test("in a Message Batch the worst case takes the discount off its tokens only: web searches bill in full", () => {
  const priced = new PriceBook().require("claude-opus-4-7");
  const searched = buildRequest({ ...spec, webSearchMaxUses: 3 });
  const full = worstCaseNano(searched, priced);
  const batched = worstCaseNano(searched, priced, undefined, { batch: true });
  const searches = 3 * priced.webSearchNano;
  assertEquals(batched - searches, Math.ceil((full - searches) / 2));
});

Deno.test("the worst case holds the US-only premium on models that bill it, and nothing more on the others", () => {
  const book = new PriceBook();
  const base = (model: string) => {
    const params = buildRequest({ ...spec, model });
    const stretches = promptStretches(params);
    const r = book.require(model).rates;
    return (stretches[0].tokens + stretches[1].tokens) * r.cacheWrite1h + stretches[2].tokens * r.input +
      1000 * r.output;
  };
  for (const model of ["claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-5-5", "claude-fable-5-1"]) {
    assertEquals(
      worstCaseNano(buildRequest({ ...spec, model }), book.require(model)),
      base(model) / 10 * 11,
      model,
    );
  }
  for (const model of ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"]) {
    assertEquals(worstCaseNano(buildRequest({ ...spec, model }), book.require(model)), base(model), model);
  }
});

/** Text of `length` characters drawn from ASCII, accented letters, CJK, emoji and line breaks. */
function randomText(rng: Rng, length: number): string {
  const alphabets = ["abcdefghij klmnop\n", "éüñçø", "東京大阪", "🚀✓👨‍👩‍👧", '{}"\\<>'];
  let text = "";
  while (text.length < length) text += rng.pick(rng.pick(alphabets).split(""));
  return text;
}

/** `total` split at random into `parts` non-negative integers. */
function split(rng: Rng, total: number, parts: number): number[] {
  const cuts = Array.from({ length: parts - 1 }, () => rng.int(0, total)).sort((a, b) => a - b);
  return [...cuts, total].map((cut, i) => cut - (i === 0 ? 0 : cuts[i - 1]));
}

Deno.test("the worst case covers any bill the API could send for the request, wherever inference ran", () => {
  // A property over seeded requests: any built-in model or one only the config knows, either TTL, prompts
  // from a few bytes to 300 KB (so that the 10 % US-only premium outweighs the estimate's overhead
  // allowance), any max_tokens and web search limit. Every bill the API could send stays within the
  // reservation: the prompt's tokens split at random between uncached input, cache writes (at the
  // request's TTL, up to its last breakpoint) and cache reads, all of max_tokens as output, every web
  // search allowed, US-only or not, batch or not. Replay a failure with its seed.
  const book = new PriceBook({ overrides: { "my-proxy-model": { input: 3, output: 15 } } });
  const models = [...MODELS.map((m) => m.id), "my-proxy-model"];
  const geos = ["us", "global", null, "eu"];
  for (let seed = 1; seed <= 200; seed++) {
    const rng = createRng(seed);
    const model = rng.pick(models);
    const priced = book.require(model);
    const ttl = rng.pick(["5m", "1h"] as const);
    const searches = rng.chance(0.5) ? rng.int(1, 5) : 0;
    const volatile = randomText(rng, rng.chance(0.05) ? 300_000 : rng.int(1, 20_000));
    const params = buildRequest({
      model,
      cacheTtl: ttl,
      maxTokens: rng.int(1, 8192),
      stable: [randomText(rng, rng.int(1, 4000)), randomText(rng, rng.int(1, 4000))],
      volatile,
      ...(searches ? { webSearchMaxUses: searches } : {}),
    });
    const worst = worstCaseNano(params, priced);
    // Each stretch of the prompt the estimate counts, billed at random as uncached input, a cache write
    // or a cache read (both only up to a breakpoint, a write
    // with its TTL).
    let [input, write, read] = [0, 0, 0];
    for (const stretch of promptStretches(params)) {
      if (!stretch.ttl) {
        input += stretch.tokens; // after the last breakpoint: neither written to nor read from the cache
        continue;
      }
      const [i, w, r] = split(rng, stretch.tokens, 3);
      [input, write, read] = [input + i, write + w, read + r];
    }
    const usage = normalizeUsage({
      input_tokens: input,
      cache_creation_input_tokens: write,
      cache_creation: ttl === "5m"
        ? { ephemeral_5m_input_tokens: write, ephemeral_1h_input_tokens: 0 }
        : { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: write },
      cache_read_input_tokens: read,
      output_tokens: params.max_tokens,
      server_tool_use: { web_search_requests: searches },
      service_tier: rng.pick(["standard", "batch"]),
      inference_geo: rng.pick(geos),
    }, ttl);
    const billed = costNano(usage, priced);
    assert(
      billed <= worst,
      `seed ${seed}: ${model}, ${input}/${write}/${read} tokens, ${searches} searches: ${billed} > ${worst}`,
    );
  }
});
