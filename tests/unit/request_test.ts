/** Request layout and the worst-case estimate behind each reservation. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { buildRequest, countBreakpoints } from "../../src/claude/request.ts";
import { promptStretches, REQUEST_OVERHEAD_TOKENS, worstCaseNano } from "../../src/claude/estimate.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { MODELS } from "../../src/models/catalog.ts";

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
  assertEquals(params.tools, [{ type: "web_search_20250305", name: "web_search", max_uses: 2 }]);
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

Deno.test("the worst case covers any bill the API could send for the request, wherever inference ran", () => {
  // For every built-in model and one only the config knows, US-only or not, batch or not, two bills stay
  // within the reservation: every byte of the body as uncached input with all of max_tokens as output (no
  // server tools, so nothing but the 10 % premium can tip it: the prompt is large, 300 KB, so that the
  // premium is more than the estimate's overhead allowance), and every byte as a 1h cache write with three
  // web searches.
  const book = new PriceBook({ overrides: { "my-proxy-model": { input: 3, output: 15 } } });
  const volatile = "ünïcödé ✓ 🚀 ".repeat(15_000);
  const geos = ["us", "global", null, "eu"];
  for (const model of [...MODELS.map((m) => m.id), "my-proxy-model"]) {
    const priced = book.require(model);
    const bills = [
      { params: buildRequest({ ...spec, model, cacheTtl: "5m", volatile }), ttl: "5m" as const, searches: 0 },
      {
        params: buildRequest({ ...spec, model, volatile, webSearchMaxUses: 3 }),
        ttl: "1h" as const,
        searches: 3,
      },
    ];
    for (const { params, ttl, searches } of bills) {
      const bytes = new TextEncoder().encode(JSON.stringify(params)).length;
      const worst = worstCaseNano(params, priced);
      for (const inference_geo of geos) {
        for (const service_tier of ["standard", "batch"]) {
          const tokens = searches
            ? { cache_creation_input_tokens: bytes, cache_creation: { ephemeral_1h_input_tokens: bytes } }
            : { input_tokens: bytes };
          const usage = normalizeUsage({
            ...tokens,
            output_tokens: 1000,
            server_tool_use: { web_search_requests: searches },
            service_tier,
            inference_geo,
          }, ttl);
          const billed = costNano(usage, priced);
          assert(billed <= worst, `${model} ${ttl} ${inference_geo} ${service_tier}: ${billed} > ${worst}`);
        }
      }
    }
  }
});
