/**
 * The per-model facts behind the output-limit checks and US-only pricing, as the catalog holds them and
 * the price book hands them on: each model's maximum output, and which models bill the 1.1 × premium.
 */
import { assertEquals } from "../assert.ts";
import { DATA_RESIDENCY_PERCENT, MODELS } from "../../src/models/catalog.ts";
import { PriceBook } from "../../src/models/price_book.ts";

Deno.test("every built-in model has its maximum output: 64K for the 4.5 models, 128K for the rest", () => {
  assertEquals(Object.fromEntries(MODELS.map((m) => [m.id, m.maxOutputTokens])), {
    "claude-fable-5-1": 128_000,
    "claude-fable-5": 128_000,
    "claude-opus-5-5": 128_000,
    "claude-opus-5": 128_000,
    "claude-opus-4-8": 128_000,
    "claude-opus-4-7": 128_000,
    "claude-opus-4-6": 128_000,
    "claude-opus-4-5-20251101": 64_000,
    "claude-sonnet-5-5": 128_000,
    "claude-sonnet-5": 128_000,
    "claude-sonnet-4-6": 128_000,
    "claude-sonnet-4-5-20250929": 64_000,
    "claude-haiku-5-5": 128_000,
    "claude-haiku-4-5-20251001": 64_000,
  });
});

Deno.test("US-only inference costs 110 % on Opus 4.6, Sonnet 4.6 and every later model, and on no earlier one", () => {
  assertEquals(DATA_RESIDENCY_PERCENT, 110);
  assertEquals(MODELS.filter((m) => !m.dataResidencyPremium).map((m) => m.id), [
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
  ]);
});

Deno.test("the price book hands the facts on, by alias too, with a config override's maxOutputTokens first", () => {
  const book = new PriceBook({
    overrides: {
      "claude-opus-4-7": { input: 5, output: 25, maxOutputTokens: 32_000 },
      "my-gateway-model": { input: 1, output: 2 },
    },
  });
  const facts = (model: string) => {
    const p = book.require(model);
    return [p.maxOutputTokens, p.dataResidencyPercent];
  };
  assertEquals(facts("claude-haiku-4-5"), [64_000, 100]);
  assertEquals(facts("claude-sonnet-4-6"), [128_000, 110]);
  assertEquals(facts("claude-opus-4-7"), [32_000, 110]);
  assertEquals(facts("my-gateway-model"), [undefined, 110], "unknown to the catalog: the premium, no limit");
});
