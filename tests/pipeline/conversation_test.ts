/** A stage's conversation never holds what the API refuses (conversation.ts), without the API. */
// deno-lint-ignore-file no-explicit-any
import { assertEquals, assertThrows } from "../assert.ts";
import { startConversation, withAssistant, withUser } from "../../src/pipeline/conversation.ts";

const text = (t: string): any => ({ type: "text", text: t });
const use: any = { type: "tool_use", id: "toolu_1", name: "get_brief", input: {} };
const result: any = { type: "tool_result", tool_use_id: "toolu_1", content: "{}" };

Deno.test("turns alternate: assistant content, then the user's results", () => {
  const c = withUser(withAssistant(startConversation("brief"), [use]), [result]);
  assertEquals(c, {
    volatile: "brief",
    turns: [{ role: "assistant", content: [use] }, { role: "user", content: [result] }],
  });
});

Deno.test("an empty reply adds no assistant turn: the nudge joins the user turn before it", () => {
  const before = withUser(withAssistant(startConversation("brief"), [use]), [result]);
  const after = withUser(withAssistant(before, []), [text("Continue.")]);
  assertEquals(after.turns, [{ role: "assistant", content: [use] }, {
    role: "user",
    content: [result, text("Continue.")],
  }]);
});

Deno.test("an empty first reply: the nudge joins the volatile block, the first user message", () => {
  const c = withUser(withAssistant(startConversation("brief"), []), [text("Continue.")]);
  assertEquals(c, { volatile: "brief\n\nContinue.", turns: [] });
  assertThrows(() => withUser(startConversation("brief"), [result]), Error, "cannot open a conversation");
});

Deno.test("a paused turn's continuation joins the assistant turn it continues", () => {
  const search: any = { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} };
  const found: any = { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] };
  const paused = withAssistant(startConversation("brief"), [text("Searching."), search]);
  assertEquals(paused.turns.at(-1), { role: "assistant", content: [text("Searching."), search] });
  const continued = withAssistant(paused, [found, use]);
  assertEquals(continued.turns, [{ role: "assistant", content: [text("Searching."), search, found, use] }]);
});

Deno.test("a change returns a new conversation and leaves the old one as it was", () => {
  const start = withAssistant(startConversation("brief"), [use]);
  withUser(start, [result]);
  withAssistant(start, [text("more")]);
  assertEquals(start.turns, [{ role: "assistant", content: [use] }]);
});
