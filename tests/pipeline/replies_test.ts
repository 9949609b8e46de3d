/** What the loop does with a reply, by stop reason and content (replies.ts), without the API. */
// deno-lint-ignore-file no-explicit-any
import { assertEquals } from "../assert.ts";
import {
  echoed,
  judgeReply,
  MAX_ECHOED_INPUT_BYTES,
  MAX_PAUSES_IN_A_ROW,
  MAX_TOKENS_RAISED,
  nudgeText,
  raisedMaxTokens,
  refusalReason,
  type Reply,
  type ReplyContext,
  type ReplyVerdict,
  resumedMaxTokens,
  runsTools,
} from "../../src/pipeline/replies.ts";

const context: ReplyContext = {
  agentId: "writer",
  maxTokens: 2048,
  maxTokensCeiling: 16_384,
  pausesInARow: 0,
};

const text = (t: string): any => ({ type: "text", text: t, citations: null });
const call = (input: unknown): any => ({ type: "tool_use", id: "toolu_1", name: "update_section", input });
const search: any = { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "q" } };
const reply = (stop_reason: string, content: any[], stop_details: any = null): Reply =>
  ({ stop_reason, content, stop_details }) as Reply;

Deno.test("a reply cut off inside a tool call is retried with max_tokens doubled, up to the ceiling", () => {
  const cut = reply("max_tokens", [text("Writing."), call({ section_id: "s1" })]);
  assertEquals(judgeReply(cut, context), { kind: "retry", maxTokens: 4096 });
  assertEquals(judgeReply(cut, { ...context, maxTokens: 12_000 }), { kind: "retry", maxTokens: 16_384 });
  assertEquals(judgeReply(cut, { ...context, maxTokens: 16_384 }), {
    kind: "stop",
    reason: "writer: a tool call was still cut off at max_tokens 16384; raise agents.writer.maxTokensCeiling",
  });
});

Deno.test("a reply cut off while thinking, or inside a server tool call, is retried too", () => {
  const thinking: any = { type: "thinking", thinking: "Let me", signature: "" };
  assertEquals(judgeReply(reply("max_tokens", [thinking]), context), { kind: "retry", maxTokens: 4096 });
  assertEquals(judgeReply(reply("max_tokens", [search]), context), { kind: "retry", maxTokens: 4096 });
});

Deno.test("a reply cut off in plain text is used, and marked cut off for the nudge", () => {
  assertEquals(judgeReply(reply("max_tokens", [text("The lens is")]), context), {
    kind: "use",
    echo: [text("The lens is")],
    cutOff: true,
  });
});

Deno.test("max_tokens doubles and stops at the ceiling; a ceiling below maxTokens allows no retry", () => {
  assertEquals([raisedMaxTokens(2048, 16_384), raisedMaxTokens(10_000, 16_384)], [4096, 16_384]);
  assertEquals([raisedMaxTokens(16_384, 16_384), raisedMaxTokens(4096, 2048)], [null, null]);
});

Deno.test("a stage run after a wait starts at the max_tokens an earlier run of it raised, within the ceiling", () => {
  const event = (stage: string, kind: string, detail: string | null = null) => ({ stage, kind, detail });
  const raised = [event("writer", MAX_TOKENS_RAISED, "4096"), event("writer", MAX_TOKENS_RAISED, "8192")];
  assertEquals(resumedMaxTokens([], "writer", 2048, 16_384), 2048);
  assertEquals(resumedMaxTokens([...raised, event("writer", "waiting")], "writer", 2048, 16_384), 8192);
  assertEquals(resumedMaxTokens(raised, "writer", 2048, 4096), 4096, "a lowered ceiling holds");
  assertEquals(resumedMaxTokens(raised, "writer", 10_000, 16_384), 10_000, "a raised maxTokens holds");
  assertEquals(
    resumedMaxTokens(raised, "editor", 2048, 16_384),
    2048,
    "another stage's raise is not this one's",
  );
  assertEquals(resumedMaxTokens([...raised, event("writer", "stage_done")], "writer", 2048, 16_384), 2048);
  assertEquals(resumedMaxTokens([...raised, event("writer", "retried")], "writer", 2048, 16_384), 2048);
});

Deno.test("empty and whitespace-only text never goes back; a reply of nothing else echoes nothing", () => {
  assertEquals(judgeReply(reply("end_turn", []), context), { kind: "use", echo: [], cutOff: false });
  assertEquals(judgeReply(reply("end_turn", [text(" \n\t ")]), context), {
    kind: "use",
    echo: [],
    cutOff: false,
  });
  assertEquals(echoed([text(""), text("\n"), call({ section_id: "s1", markdown: "x" })]), [
    call({ section_id: "s1", markdown: "x" }),
  ]);
});

Deno.test("an oversized tool input goes back as a note, with its id kept", () => {
  const [block] = echoed([call({ markdown: "A".repeat(MAX_ECHOED_INPUT_BYTES) })]) as any[];
  assertEquals([block.id, block.input], [
    "toolu_1",
    { omitted: `an input of ${MAX_ECHOED_INPUT_BYTES + 15} bytes, too large to repeat; it was refused` },
  ]);
});

Deno.test("a paused turn continues with its content, trailing whitespace trimmed, a bounded number of times", () => {
  assertEquals(judgeReply(reply("pause_turn", [text("Searching.  "), search]), context), {
    kind: "continue",
    echo: [text("Searching.  "), search],
  });
  assertEquals(judgeReply(reply("pause_turn", [search, text("Found it.\n")]), context), {
    kind: "continue",
    echo: [search, text("Found it.")],
  });
  assertEquals(judgeReply(reply("pause_turn", [search]), { ...context, pausesInARow: MAX_PAUSES_IN_A_ROW }), {
    kind: "stop",
    reason: `writer: the turn paused ${MAX_PAUSES_IN_A_ROW + 1} times in a row (pause_turn)`,
  });
});

Deno.test("a refusal stops the stage with its category and explanation, on one bounded line", () => {
  const details = { type: "refusal", category: "bio", explanation: "Lab\nmethods\u0007 withheld." };
  assertEquals(judgeReply(reply("refusal", [call({})], details), context), {
    kind: "stop",
    reason: "writer: the model refused (category: bio): Lab methods withheld.",
  });
  assertEquals(refusalReason("intake", null), "intake: the model refused");
  assertEquals(
    refusalReason("intake", { type: "refusal", category: null, explanation: "No." }),
    "intake: the model refused: No.",
  );
  const long = refusalReason("intake", { type: "refusal", category: "cyber", explanation: "x".repeat(2000) });
  assertEquals(long.length, "intake: the model refused (category: cyber): ".length + 500);
});

Deno.test("model_context_window_exceeded stops the stage", () => {
  assertEquals(judgeReply(reply("model_context_window_exceeded", [call({})]), context), {
    kind: "stop",
    reason: "writer: the conversation reached the model's context window (model_context_window_exceeded); " +
      "nothing of the reply was applied",
  });
});

Deno.test("only used and paused replies run their tool calls", () => {
  const verdicts: ReplyVerdict[] = [
    { kind: "use", echo: [], cutOff: false },
    { kind: "continue", echo: [] },
    { kind: "retry", maxTokens: 4096 },
    { kind: "stop", reason: "r" },
  ];
  assertEquals(verdicts.map(runsTools), [true, true, false, false]);
});

Deno.test("the nudge says why the turn ended early", () => {
  const missing = "sections without text or with an open revision: s1";
  const tail = `Your job as writer is not done yet: ${missing}. Continue with your tools.`;
  assertEquals(nudgeText("writer", missing, { cutOff: false, empty: false }), tail);
  assertEquals(
    nudgeText("writer", missing, { cutOff: true, empty: false }),
    `Your answer was cut off at max_tokens. ${tail}`,
  );
  assertEquals(nudgeText("writer", missing, { cutOff: false, empty: true }), `Your reply was empty. ${tail}`);
});
