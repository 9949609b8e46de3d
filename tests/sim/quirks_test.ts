/**
 * The live API's quirks as the simulated model produces them: each one's exact shape (forced by
 * the quirks script), a paused turn continued when sent back last, a tool call cut at max_tokens
 * that a larger max_tokens completes, thinking counted toward max_tokens, and the switches: the
 * script's arguments, `quirks: false`, rates, scale, and the profile's rates on by default.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";
import { NEW_TOKENIZER, PROFILES } from "../../src/sim/profiles.ts";
import { type QuirkKind, type QuirkOption, REFUSAL_CATEGORIES } from "../../src/sim/quirks.ts";
import { BLANK_TEXT } from "../../src/sim/reply.ts";
import { LONG_WRITER_FACTOR } from "../../src/sim/roles.ts";
import { createSimulator, type SimulatorOptions } from "../../src/sim/simulator.ts";
import { blockText } from "../../src/sim/tokens.ts";
import { countTokens } from "../../src/pricing/tokens.ts";
import { cutContent, outputTokensOf } from "../../src/sim/truncate.ts";
import { countWords } from "../../src/sim/writing.ts";
import { afterReads, SHARED_STABLE, stateFor } from "./harness.ts";

const SONNET = "claude-sonnet-4-6";
const OPUS = "claude-opus-4-7";

/** The request of a stage that has just read the state, as Pressroom lays it out. */
function stageBody(agent: "writer" | "researcher", extra: Record<string, unknown> = {}): any {
  const state = stateFor(agent);
  // One section left to do, so that the turn makes one call (a role works every open section at once).
  const [first, ...rest] = state.draft!.sections;
  if (agent === "researcher") {
    first.notes = [];
    first.citations = [];
    rest.forEach((s) => (s.notes = ["Researched already."]));
  } else {
    rest.forEach((s) => (s.markdown = "Written already."));
  }
  const tools: any[] = [...TOOL_DEFINITIONS];
  if (agent === "researcher") tools.push({ type: "web_search_20250305", name: "web_search", max_uses: 2 });
  return {
    model: SONNET,
    max_tokens: 64_000,
    system: [{ type: "text", text: SHARED_STABLE, cache_control: { type: "ephemeral" } }],
    tools,
    messages: afterReads(agent, state),
    ...extra,
  };
}

async function send(
  sim: { handle(r: Request): Promise<Response> },
  body: any,
  agent: string,
  workflow = "wf-q",
) {
  const response = await sim.handle(
    new Request("http://sim.invalid/v1/messages", {
      method: "POST",
      headers: {
        "x-api-key": "sim",
        "anthropic-version": "2026-10-21",
        "x-pressroom-agent": agent,
        "x-pressroom-workflow": workflow,
      },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, body: await response.json() };
}

const forced = (...kinds: QuirkKind[]): SimulatorOptions => ({ quirks: { script: () => kinds } });
const types = (content: any[]) => content.map((b) => b.type);

Deno.test("quirks: an empty reply is content [] with end_turn, right after tool results", async () => {
  const { status, body } = await send(createSimulator(forced("empty_reply")), stageBody("writer"), "writer");
  assertEquals(status, 200);
  assertEquals(
    [body.content, body.stop_reason, body.stop_sequence, body.stop_details, body.usage.output_tokens],
    [[], "end_turn", null, null, 1],
  );
});

Deno.test("quirks: a whitespace reply is one text block of blank lines with end_turn", async () => {
  const { body } = await send(createSimulator(forced("whitespace_reply")), stageBody("writer"), "writer");
  assertEquals(BLANK_TEXT, "\n\n");
  assertEquals([body.content, body.stop_reason, body.stop_details, body.usage.output_tokens], [
    [{ type: "text", text: "\n\n", citations: null }],
    "end_turn",
    null,
    1,
  ]);
});

Deno.test("quirks: a paused turn ends on its server_tool_use; sent back last, it is continued with the result and the rest", async () => {
  // The script pauses every request: a continuation is never paused again.
  const sim = createSimulator(forced("pause_turn"));
  const request = stageBody("researcher");
  const paused = (await send(sim, request, "researcher")).body;
  assertEquals([types(paused.content), paused.stop_reason, paused.stop_details], [
    ["text", "server_tool_use"],
    "pause_turn",
    null,
  ]);
  const call = paused.content[1];
  assertMatch(call.id, /^srvtoolu_sim_/);
  assertEquals([call.name, call.caller, typeof call.input.query], [
    "web_search",
    { type: "direct" },
    "string",
  ]);
  assertEquals(
    paused.usage.server_tool_use,
    { web_search_requests: 0, web_fetch_requests: 0 },
    "not run yet",
  );

  const continued = (await send(sim, {
    ...request,
    messages: [...request.messages, { role: "assistant", content: paused.content }],
  }, "researcher")).body;
  // The result, what the answer says from each of its three results (citing them), and the call.
  assertEquals([types(continued.content), continued.stop_reason], [
    ["web_search_tool_result", "text", "text", "text", "tool_use"],
    "tool_use",
  ]);
  assertEquals(continued.content[0].tool_use_id, call.id);
  assertEquals(continued.content[0].content.length, 3);
  assertEquals(
    continued.content.slice(1, 4).map((b: { citations: { url: string }[] }) => b.citations[0].url),
    continued.content[0].content.map((r: { url: string }) => r.url),
  );
  // The call the turn meant to make (right or, as the profile has it now and then, mistaken).
  assertMatch(continued.content[4].id, /^toolu_sim_/);
  assertEquals(continued.usage.server_tool_use, { web_search_requests: 1, web_fetch_requests: 0 });

  // Sent back with a user turn after it, the paused turn is refused, as the API refuses it.
  const refused = await send(sim, {
    ...request,
    messages: [...request.messages, { role: "assistant", content: paused.content }, {
      role: "user",
      content: [{ type: "text", text: "Carry on." }],
    }],
  }, "researcher");
  assertEquals([refused.status, refused.body.error], [400, {
    type: "invalid_request_error",
    message: `messages.3: \`web_search\` tool use with id \`${call.id}\` was found without a corresponding ` +
      "`web_search_tool_result` block",
  }]);
});

Deno.test("quirks: a turn that offers no web search is never paused", async () => {
  const { body } = await send(createSimulator(forced("pause_turn")), stageBody("writer"), "writer");
  assertEquals([types(body.content), body.stop_reason], [["text", "tool_use"], "tool_use"]);
});

Deno.test("quirks: a long turn cut at max_tokens keeps the finished parameters; a larger max_tokens completes it", async () => {
  const sim = createSimulator(forced("long_turn"));
  const cut = (await send(sim, stageBody("writer", { max_tokens: 2048 }), "writer")).body;
  assertEquals([types(cut.content), cut.stop_reason, cut.usage.output_tokens], [
    ["text", "tool_use"],
    "max_tokens",
    2048,
  ]);
  assertEquals([cut.content[1].name, cut.content[1].input], ["update_section", { section_id: "s1" }]);

  const whole = (await send(sim, stageBody("writer", { max_tokens: 32_000 }), "writer")).body;
  assertEquals([types(whole.content), whole.stop_reason], [["text", "tool_use"], "tool_use"]);
  assertEquals(whole.content[0], cut.content[0], "the same turn, whatever max_tokens");
  assertEquals([whole.content[1].id, Object.keys(whole.content[1].input)], [cut.content[1].id, [
    "section_id",
    "markdown",
  ]]);
  assertEquals(whole.usage.output_tokens, outputTokensOf(whole.content, 1));
  assert(whole.usage.output_tokens > 2048);
  // The writer overshot: the whole article's target (900 words) and more, in one section.
  const words = countWords(whole.content[1].input.markdown);
  assert(words >= 900 * LONG_WRITER_FACTOR, `${words} words`);
});

Deno.test("quirks: without quirks, a turn cut inside its tool call keeps what was finished; a text-only cut keeps the text", async () => {
  const sim = createSimulator({ quirks: false });
  const full = (await send(sim, stageBody("writer"), "writer")).body;
  assertEquals(types(full.content), ["text", "tool_use"]);
  const textTokens = countTokens(full.content[0].text);
  const call = `update_section${JSON.stringify({ section_id: "s1" })}`;

  const withId =
    (await send(sim, stageBody("writer", { max_tokens: textTokens + countTokens(call) }), "writer"))
      .body;
  assertEquals([withId.content, withId.stop_reason, withId.usage.output_tokens], [
    [full.content[0], { ...full.content[1], input: { section_id: "s1" } }],
    "max_tokens",
    textTokens + countTokens(call),
  ]);
  const bare = (await send(sim, stageBody("writer", { max_tokens: textTokens + 1 }), "writer")).body;
  assertEquals(bare.content, [full.content[0], { ...full.content[1], input: {} }]);

  const textOnly = (await send(sim, stageBody("writer", { max_tokens: 20 }), "writer")).body;
  assertEquals([types(textOnly.content), textOnly.stop_reason, textOnly.usage.output_tokens], [
    ["text"],
    "max_tokens",
    20,
  ]);
  assert(full.content[0].text.startsWith(textOnly.content[0].text));
  assert(countTokens(textOnly.content[0].text) <= 20);
});

Deno.test("quirks: thinking comes first and counts toward max_tokens; a budget bounds it", async () => {
  const sim = createSimulator({ quirks: false });
  const adaptive = { model: OPUS, thinking: { type: "adaptive" } };
  const full = (await send(sim, stageBody("writer", adaptive), "writer")).body;
  assertEquals(types(full.content), ["thinking", "text", "tool_use"]);
  assertMatch(full.content[0].signature, /^sim_sig_/);
  const thinkingTokens = countTokens(full.content[0].thinking, NEW_TOKENIZER.prose);
  assertEquals(full.usage.output_tokens_details, { thinking_tokens: thinkingTokens });
  assertEquals(full.usage.output_tokens, outputTokensOf(full.content, NEW_TOKENIZER.prose));

  const inThinking =
    (await send(sim, stageBody("writer", { ...adaptive, max_tokens: thinkingTokens - 5 }), "writer"))
      .body;
  assertEquals([types(inThinking.content), inThinking.stop_reason, inThinking.usage.output_tokens], [
    ["thinking"],
    "max_tokens",
    thinkingTokens - 5,
  ]);
  assert(full.content[0].thinking.startsWith(inThinking.content[0].thinking));

  const budgeted = { thinking: { type: "enabled", budget_tokens: 1024 } };
  const bounded = (await send(sim, stageBody("writer", budgeted), "writer")).body;
  assertEquals(types(bounded.content), ["thinking", "text", "tool_use"]);
  assert(countTokens(bounded.content[0].thinking) <= 1024);
});

Deno.test("quirks: a refusal carries stop_details in the SDK's shape, sometimes after its tool calls", async () => {
  const sim = createSimulator(forced("refusal"));
  const shapes = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const { body } = await send(sim, stageBody("writer"), "writer", `wf-refusal-${i}`);
    assertEquals(body.stop_reason, "refusal");
    assertEquals(Object.keys(body.stop_details).sort(), ["category", "explanation", "type"]);
    assertEquals(body.stop_details.type, "refusal");
    assert(REFUSAL_CATEGORIES.includes(body.stop_details.category), body.stop_details.category);
    assertEquals(body.stop_details.explanation === null, body.stop_details.category === null);
    assertEquals(body.usage.output_tokens, Math.max(1, outputTokensOf(body.content, 1)));
    shapes.add(body.content.some((b: any) => b.type === "tool_use") ? "with calls" : "text only");
  }
  assertEquals([...shapes].sort(), ["text only", "with calls"]);
});

Deno.test("quirks: a full context window stops partway, content cut where the output stopped", async () => {
  const full = (await send(createSimulator({ quirks: false }), stageBody("writer"), "writer")).body;
  const { body } = await send(
    createSimulator(forced("context_window_exceeded")),
    stageBody("writer"),
    "writer",
  );
  assertEquals([body.stop_reason, body.stop_details], ["model_context_window_exceeded", null]);
  assert(body.usage.output_tokens < full.usage.output_tokens);
  assertEquals(body.content, cutContent(full.content, body.usage.output_tokens, 1));
});

Deno.test("quirks: usage.inference_geo is us when forced or asked, global otherwise, null before Claude 4.6", async () => {
  const geo = async (options: SimulatorOptions, extra: Record<string, unknown>) =>
    (await send(createSimulator(options), stageBody("writer", extra), "writer")).body.usage.inference_geo;
  assertEquals(await geo(forced("us_inference"), {}), "us");
  assertEquals(await geo({ quirks: false }, {}), "global");
  assertEquals(await geo({ quirks: false }, { inference_geo: "us" }), "us");
  assertEquals(await geo(forced("us_inference"), { model: "claude-haiku-4-5" }), null);
});

Deno.test("quirks: the script sees the request index, the agent, the workflow and the SDK's attempt", async () => {
  const seen: unknown[] = [];
  const sim = createSimulator({
    quirks: { script: (index, agent, request) => (seen.push([index, agent, request]), undefined) },
  });
  await send(sim, stageBody("writer"), "writer", "wf-script");
  assertEquals(seen, [[0, "writer", { workflowId: "wf-script", attempt: 0 }]]);
});

Deno.test("quirks: false turns them off; rates replace the profile's; scale 0 keeps only the script", async () => {
  const empties = async (quirks: QuirkOption) => {
    const sim = createSimulator({ quirks });
    let n = 0;
    for (let i = 0; i < 40; i++) {
      const { body } = await send(sim, stageBody("writer"), "writer", `wf-rates-${i}`);
      if (body.content.length === 0) n++;
    }
    return n;
  };
  assertEquals(await empties({ rates: { empty_reply: 1 } }), 40);
  assertEquals(await empties({ rates: { empty_reply: 1 }, scale: 0 }), 0);
  assertEquals(await empties({ rates: { empty_reply: 1 }, scale: 0, script: () => "empty_reply" }), 40);
  assertEquals(await empties(false), 0);
});

Deno.test("quirks: a request sent again is sampled again; the same seed replays the same replies", async () => {
  const replay = async () => {
    const sim = createSimulator({ seed: 4, quirks: { rates: { empty_reply: 0.5 } } });
    const out: number[] = [];
    for (let i = 0; i < 24; i++) {
      out.push((await send(sim, stageBody("writer"), "writer")).body.content.length);
    }
    return out;
  };
  const first = await replay();
  assert(first.includes(0) && first.some((n) => n > 0), JSON.stringify(first));
  assertEquals(await replay(), first);
});

Deno.test("quirks: a long turn is drawn without max_tokens, so the retry with more room meets the same turn", async () => {
  const stopOff = {
    empty_reply: 0,
    whitespace_reply: 0,
    pause_turn: 0,
    refusal: 0,
    context_window_exceeded: 0,
  };
  const sim = createSimulator({ quirks: { rates: { ...stopOff, long_turn: 0.5 } } });
  let cuts = 0;
  for (let i = 0; i < 16; i++) {
    const short = (await send(sim, stageBody("writer", { max_tokens: 2048 }), "writer", `wf-long-${i}`)).body;
    const roomy =
      (await send(sim, stageBody("writer", { max_tokens: 64_000 }), "writer", `wf-long-${i}`)).body;
    assertEquals(short.content[0], roomy.content[0]);
    if (short.stop_reason === "max_tokens") {
      cuts++;
      assertEquals(short.content[1], {
        ...roomy.content[1],
        input: { section_id: roomy.content[1].input.section_id },
      });
    } else assertEquals(short.content, roomy.content);
  }
  assert(cuts > 0 && cuts < 16, `${cuts} cut`);
});

Deno.test("quirks: on by default at the profile's rates (every use of the simulator meets them)", async () => {
  const sim = createSimulator();
  const counts: Record<string, number> = {};
  const n = 400;
  for (let i = 0; i < n; i++) {
    const { body } = await send(sim, stageBody("writer"), "writer", `wf-default-${i}`);
    const kind = body.content.length === 0
      ? "empty"
      : body.content[0].text === BLANK_TEXT
      ? "blank"
      : body.stop_reason;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (body.usage.inference_geo === "us") counts.us = (counts.us ?? 0) + 1;
  }
  const expect = (kind: string, rate: number) => {
    const got = counts[kind] ?? 0;
    // Seeded, so the count is fixed; the bounds say it is the rate's, not a constant.
    assert(got >= 1 && got <= Math.max(4, 3 * rate * n), `${kind}: ${got} of ${n} at rate ${rate}`);
  };
  expect("empty", PROFILES.sonnet.quirks.empty_reply);
  expect("blank", PROFILES.sonnet.quirks.whitespace_reply);
  expect("us", PROFILES.sonnet.quirks.us_inference);
  assertEquals(counts.pause_turn, undefined, "no search offered, no pause");
});

Deno.test("quirks: a blank remainder and a server call that does not fit are left out of a cut", () => {
  const text = { type: "text", text: "Searching now.", citations: null };
  const search = { type: "server_tool_use", id: "s1", name: "web_search", input: { query: "compost bins" } };
  const result = { type: "web_search_tool_result", tool_use_id: "s1", content: [] };
  const textTokens = countTokens(blockText(text));
  assertEquals(cutContent([text, search, result], textTokens + 1, 1), [text]);
  assertEquals(cutContent([text, search, result], 1_000, 1), [text, search, result]);
  assertEquals(cutContent([{ type: "text", text: "   word" }], 0, 1), []);
  assertEquals(outputTokensOf([text, search, result], 1), textTokens + countTokens(blockText(search)));
});
