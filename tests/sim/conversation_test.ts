/** Reading a conversation: tool calls paired with results, the last reads, and the state they imply. */
import { assert, assertEquals } from "../assert.ts";
import { knownState, mutationsSince, readConversation } from "../../src/sim/conversation.ts";
import { afterReads, classify, stateFor } from "./harness.ts";

Deno.test("conversation: pairs tool_use with tool_result, success = !is_error", () => {
  const c = readConversation([
    { role: "user", content: "Stage: writer." },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Two calls." },
        { type: "tool_use", id: "a", name: "update_section", input: { section_id: "s1", markdown: "x" } },
        { type: "tool_use", id: "b", name: "update_section", input: { section_id: "s99", markdown: "y" } },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "a", content: "s1 written." },
        {
          type: "tool_result",
          tool_use_id: "b",
          content: [{ type: "text", text: "no section s99" }],
          is_error: true,
        },
      ],
    },
  ]);
  assertEquals(c.calls.map((x) => [x.id, x.result]), [
    ["a", { text: "s1 written.", isError: false }],
    ["b", { text: "no section s99", isError: true }],
  ]);
  assertEquals(mutationsSince(c).map((x) => x.id), ["a"]);
});

Deno.test("conversation: the last reads parse as tools.ts returns them, and later mutations are replayed", () => {
  const state = stateFor("writer");
  const messages = afterReads("writer", state);
  const c0 = readConversation(messages);
  assertEquals(c0.brief!.value.missing, []);
  assert("sections" in c0.draft!.value);
  assertEquals(c0.draft!.value.sections.length, 4);

  // The writer writes s2; the result comes back; the role's view must show it without a new read.
  const call = { section_id: "s2", markdown: "Fresh text." };
  const { text } = classify("writer", "update_section", call, state);
  messages.push(
    { role: "assistant", content: [{ type: "tool_use", id: "w1", name: "update_section", input: call }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "w1", content: text }] },
  );
  const known = knownState(readConversation(messages));
  assertEquals(known.draft!.sections.map((s) => s.markdown), ["", "Fresh text.", "", ""]);
  assertEquals(known.brief, state.brief);
  assertEquals(known.request, state.request);
});

Deno.test("conversation: a failed mutation is not replayed, and a nudge after a text-only turn changes nothing", () => {
  const state = stateFor("editor");
  const messages = afterReads("editor", state);
  messages.push(
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "e1", name: "promote_to_published", input: { x: 1 } }],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "e1", content: "bad args", is_error: true }],
    },
    { role: "assistant", content: [{ type: "text", text: "I think we are done." }] },
    { role: "user", content: "You are not done yet." },
  );
  const c = readConversation(messages);
  assertEquals(knownState(c).decision, null);
});
