/** A workflow pinned to a model with a smaller maximum output gets max_tokens the model takes. */
import { assertEquals } from "../assert.ts";
import { withinOutputLimit } from "../../src/pipeline/turn.ts";
import { configSchema } from "../../src/config/schema.ts";
import { PriceBook } from "../../src/models/price_book.ts";

Deno.test("settings are held to the pinned model's maximum output, and left alone where they fit", () => {
  const config = configSchema.parse({ agents: { writer: { maxTokens: 80_000, maxTokensCeiling: 128_000 } } });
  const prices = new PriceBook();
  // Configured for Opus 4.7 (128,000); a workflow pinned earlier to Haiku 4.5 (64,000).
  const haiku = withinOutputLimit(config.agents.writer, prices.lookup("claude-haiku-4-5"));
  assertEquals([haiku.maxTokens, haiku.maxTokensCeiling], [64_000, 64_000]);
  const opus = withinOutputLimit(config.agents.writer, prices.lookup("claude-opus-4-7"));
  assertEquals(opus, config.agents.writer);
  assertEquals(withinOutputLimit(config.agents.writer, undefined), config.agents.writer);
});
