/**
 * Cost from recorded-shape usage objects; every expected figure is worked out
 * by hand in dollars per million tokens, then compared exactly in nano-USD.
 * US-only inference (`usage.inference_geo`) is priced at 1.1 × on the models that bill it.
 */
import { assertEquals, assertThrows } from "../assert.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { UnknownModelError } from "../../src/errors.ts";
import { usdToNano } from "../../src/pricing/money.ts";

const book = new PriceBook();
const cost = (model: string, usage: object, ttl: "5m" | "1h" = "5m") =>
  costNano(normalizeUsage(usage, ttl), book.require(model));

Deno.test("Opus 4.7 turn with a 5m cache write: 1200 in, 9000 written, 850 out", () => {
  // 1200 × $5 + 9000 × $6.25 + 850 × $25 per MTok = $0.006 + $0.05625 + $0.02125 = $0.0835
  const usage = {
    input_tokens: 1200,
    output_tokens: 850,
    cache_creation_input_tokens: 9000,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 9000, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: "standard",
  };
  assertEquals(cost("claude-opus-4-7", usage), usdToNano(0.0835));
});

Deno.test("Sonnet 4.6 with cache reads and a 1h write priced apart", () => {
  // 300 × $3 + 8900 × $0.30 + 2000 × $6 + 400 × $15 per MTok
  // = $0.0009 + $0.00267 + $0.012 + $0.006 = $0.02157
  const usage = {
    input_tokens: 300,
    output_tokens: 400,
    cache_creation_input_tokens: 2000,
    cache_read_input_tokens: 8900,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 2000 },
  };
  assertEquals(cost("claude-sonnet-4-6", usage), 21_570_000);
});

Deno.test("writes without the 5m/1h breakdown are priced at the requested TTL", () => {
  // Haiku 4.5: 1000 written. At 1h: 1000 × $2 = $0.002; at 5m: 1000 × $1.25 = $0.00125
  const usage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 1000 };
  assertEquals(cost("claude-haiku-4-5", usage, "1h"), 2_000_000);
  assertEquals(cost("claude-haiku-4-5", usage, "5m"), 1_250_000);
});

Deno.test("a partial breakdown never lowers the cost", () => {
  // 3000 written, breakdown names 1000 as 1h; the other 2000 at the 1h TTL asked for.
  // Sonnet 4.6: 3000 × $6 = $0.018
  const usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_creation_input_tokens: 3000,
    cache_creation: { ephemeral_1h_input_tokens: 1000 },
  };
  assertEquals(cost("claude-sonnet-4-6", usage, "1h"), 18_000_000);
});

Deno.test("server web searches add $0.01 each", () => {
  // 500 × $5 + 100 × $25 per MTok + 3 × $0.01 = $0.0025 + $0.0025 + $0.03 = $0.035
  const usage = { input_tokens: 500, output_tokens: 100, server_tool_use: { web_search_requests: 3 } };
  assertEquals(cost("claude-opus-4-6", usage), usdToNano(0.035));
});

Deno.test("null and missing fields count as zero", () => {
  const usage = {
    input_tokens: 10,
    output_tokens: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    cache_creation: null,
  };
  assertEquals(cost("claude-sonnet-4-6", usage), 30_000); // 10 × $3 per MTok
  assertEquals(cost("claude-sonnet-4-6", {}), 0);
});

Deno.test("batch tier halves token prices, rounding up", () => {
  // Sonnet 4.6: 1 in + 1 out = $3 + $15 per MTok = 18 000 nano; half = 9000
  assertEquals(cost("claude-sonnet-4-6", { input_tokens: 1, output_tokens: 1, service_tier: "batch" }), 9000);
  // Haiku 4.5: 1 cache read = 100 nano, 1 in = 1000 → 1100 / 2 = 550
  assertEquals(
    cost("claude-haiku-4-5", { input_tokens: 1, cache_read_input_tokens: 1, service_tier: "batch" }),
    550,
  );
});

Deno.test("an alias and its dated id price the same", () => {
  const usage = { input_tokens: 12345, output_tokens: 678, cache_read_input_tokens: 9000 };
  assertEquals(cost("claude-haiku-4-5", usage), cost("claude-haiku-4-5-20251001", usage));
  assertEquals(cost("claude-sonnet-4-5", usage), cost("claude-sonnet-4-5-20250929", usage));
});

Deno.test("Haiku 5.5 over 100k prompt tokens pays the long-context band on every token", () => {
  // ≤ 100k: 100 000 × $0.10 + 1000 × $0.50 = $0.01 + $0.0005
  assertEquals(cost("claude-haiku-5-5", { input_tokens: 100_000, output_tokens: 1000 }), usdToNano(0.0105));
  // > 100k (cache reads count toward the prompt): 90 000 × $0.50 + 20 000 × $0.05 + 1000 × $2.50
  // = $0.045 + $0.001 + $0.0025 = $0.0485
  assertEquals(
    cost("claude-haiku-5-5", { input_tokens: 90_000, cache_read_input_tokens: 20_000, output_tokens: 1000 }),
    usdToNano(0.0485),
  );
});

Deno.test("config prices override built-in ones and add new models", () => {
  const custom = new PriceBook({
    overrides: {
      "claude-sonnet-4-6": { input: 2, output: 8 },
      "my-proxy-model": { input: 1, output: 2, cacheRead: 0.05 },
    },
  });
  // Override: 1000 × $2 + 1000 × $8 = $0.01; cache write defaults to 1.25 × input = $2.50
  assertEquals(
    costNano(
      normalizeUsage({ input_tokens: 1000, output_tokens: 1000 }, "5m"),
      custom.require("claude-sonnet-4-6"),
    ),
    usdToNano(0.01),
  );
  const added = custom.require("my-proxy-model");
  assertEquals(added.rates, {
    input: 1000,
    output: 2000,
    cacheWrite5m: 1250,
    cacheWrite1h: 2000,
    cacheRead: 50,
  });
});

Deno.test("an unknown model is refused, never priced at zero", () => {
  assertThrows(
    () => book.require("claude-imaginary-9", "agent writer"),
    UnknownModelError,
    "claude-imaginary-9",
  );
  assertEquals(book.lookup("gpt-4o"), undefined);
});

// ---- US-only inference (usage.inference_geo): 1.1 × every token price on Opus 4.6, Sonnet 4.6 and later ----

/** One Opus 4.6 turn: $0.0845 at standard prices (1200 × $5 + 9000 × $6.25 + 2000 × $0.50 + 850 × $25). */
const OPUS_TURN = {
  input_tokens: 1200,
  output_tokens: 850,
  cache_creation_input_tokens: 9000,
  cache_read_input_tokens: 2000,
  cache_creation: { ephemeral_5m_input_tokens: 9000, ephemeral_1h_input_tokens: 0 },
};

Deno.test("US-only inference bills Opus 4.6 at 1.1 × every token price, cache writes and reads included", () => {
  assertEquals(cost("claude-opus-4-6", { ...OPUS_TURN, inference_geo: "global" }), 84_500_000);
  // $0.0845 × 1.1 = $0.09295
  assertEquals(cost("claude-opus-4-6", { ...OPUS_TURN, inference_geo: "us" }), 92_950_000);
  // Sonnet 4.6 is the other model the premium starts with: (1000 × $3 + 1000 × $15) × 1.1 = $0.0198
  assertEquals(
    cost("claude-sonnet-4-6", { input_tokens: 1000, output_tokens: 1000, inference_geo: "us" }),
    19_800_000,
  );
});

Deno.test("models before Opus 4.6 take no inference_geo and bill the same wherever they ran", () => {
  // Haiku 4.5: 1000 × $1 + 1000 × $5 = $0.006, "us" or not
  const usage = { input_tokens: 1000, output_tokens: 1000 };
  for (const model of ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"]) {
    assertEquals(cost(model, { ...usage, inference_geo: "us" }), cost(model, usage), model);
  }
  assertEquals(cost("claude-haiku-4-5", { ...usage, inference_geo: "us" }), 6_000_000);
});

Deno.test("batch and US-only stack: 50 % × 110 % of the token prices, rounded up once", () => {
  // Sonnet 4.6: 1 in + 1 out = 18 000 nano; × 1.1 × 0.5 = 9900
  assertEquals(
    cost("claude-sonnet-4-6", {
      input_tokens: 1,
      output_tokens: 1,
      service_tier: "batch",
      inference_geo: "us",
    }),
    9900,
  );
  // Haiku 5.5: 1 cache read = 10 nano; × 1.1 = 11; × 0.5 = 5.5, booked as 6 (never under the bill)
  const read = { cache_read_input_tokens: 1, service_tier: "batch" };
  assertEquals(cost("claude-haiku-5-5", read), 5);
  assertEquals(cost("claude-haiku-5-5", { ...read, inference_geo: "us" }), 6);
});

Deno.test("the premium applies to the long-context band's prices too, and never to web searches", () => {
  // Haiku 5.5 above 100k: (90 000 × $0.50 + 20 000 × $0.05 + 1000 × $2.50) × 1.1 = $0.0485 × 1.1 = $0.05335
  assertEquals(
    cost("claude-haiku-5-5", {
      input_tokens: 90_000,
      cache_read_input_tokens: 20_000,
      output_tokens: 1000,
      inference_geo: "us",
    }),
    53_350_000,
  );
  // Opus 4.6: (500 × $5 + 100 × $25) × 1.1 + 3 × $0.01 = $0.0055 + $0.03
  assertEquals(
    cost("claude-opus-4-6", {
      input_tokens: 500,
      output_tokens: 100,
      server_tool_use: { web_search_requests: 3 },
      inference_geo: "us",
    }),
    35_500_000,
  );
});

Deno.test("an absent, null, empty or global inference_geo is standard pricing; the usage keeps what was reported", () => {
  const standard = 84_500_000;
  for (const geo of [undefined, null, "", "  ", "global", "GLOBAL"]) {
    assertEquals(cost("claude-opus-4-6", { ...OPUS_TURN, inference_geo: geo }), standard, String(geo));
  }
  assertEquals(normalizeUsage({ input_tokens: 1 }, "5m").inferenceGeo, null);
  assertEquals(normalizeUsage({ input_tokens: 1, inference_geo: null }, "5m").inferenceGeo, null);
  assertEquals(normalizeUsage({ input_tokens: 1, inference_geo: "us" }, "5m").inferenceGeo, "us");
});

Deno.test("a geo the docs do not list yet is billed as residency, never below its bill", () => {
  assertEquals(cost("claude-opus-4-6", { ...OPUS_TURN, inference_geo: "eu" }), 92_950_000);
  assertEquals(cost("claude-opus-4-6", { ...OPUS_TURN, inference_geo: "US" }), 92_950_000);
});

Deno.test("a model only the config prices takes the premium; an override of an older model does not", () => {
  const custom = new PriceBook({
    overrides: {
      "my-proxy-model": { input: 1, output: 2 },
      "claude-haiku-4-5": { input: 1, output: 5 },
    },
  });
  const usage = (model: string, inference_geo: string) =>
    costNano(
      normalizeUsage({ input_tokens: 1000, output_tokens: 1000, inference_geo }, "5m"),
      custom.require(model),
    );
  // (1000 × $1 + 1000 × $2) × 1.1 = $0.0033
  assertEquals(usage("my-proxy-model", "us"), 3_300_000);
  assertEquals(usage("claude-haiku-4-5", "us"), 6_000_000);
});

Deno.test("a fractional token count is booked as the next whole token", () => {
  // Sonnet 4.6: 1.5 in → 2 × $3 per MTok
  assertEquals(cost("claude-sonnet-4-6", { input_tokens: 1.5 }), 6000);
});
