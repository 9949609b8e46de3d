/** Token counting: UTF-8 bytes / 4 times the tokenizer factor, rounded up. */
import { assertEquals } from "../assert.ts";
import { blockText, blockTokens } from "../../src/sim/tokens.ts";
import { countTokens } from "../../src/pricing/tokens.ts";

Deno.test("tokens: bytes / 4, rounded up, times the model's tokenizer factor", () => {
  assertEquals(countTokens(""), 0);
  assertEquals(countTokens("abcd"), 1);
  assertEquals(countTokens("abcde"), 2);
  assertEquals(countTokens("a".repeat(400)), 100);
  assertEquals(countTokens("a".repeat(400), 1.35), 135);
  // UTF-8 bytes, not characters: "é" is two bytes, "深" three.
  assertEquals(countTokens("é".repeat(4)), 2);
  assertEquals(countTokens("深".repeat(4)), 3);
});

Deno.test("tokens: blocks are counted by their content, never by their cache_control", () => {
  const text = { type: "text", text: "a".repeat(40) };
  assertEquals(blockTokens(text), 10);
  assertEquals(blockTokens({ ...text, cache_control: { type: "ephemeral", ttl: "1h" } }), 10);
  assertEquals(blockText({ type: "tool_use", id: "x", name: "get_brief", input: {} }), "get_brief{}");
  assertEquals(
    blockText({ type: "tool_result", tool_use_id: "x", content: [{ type: "text", text: "ok" }] }),
    "ok",
  );
  assertEquals(blockText({ type: "tool_result", tool_use_id: "x", content: "done" }), "done");
});
