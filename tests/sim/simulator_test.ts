/**
 * The simulator as a Messages API: response shape and field names, request
 * validation as the SDK sees it, determinism, web search, latency through the
 * injected sleep, max_tokens, and billing that never exceeds callClaude's
 * reserved worst case.
 */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { worstCaseNano } from "../../src/claude/estimate.ts";
import { AGENT_IDS } from "../../src/config/schema.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";
import { PROFILES } from "../../src/sim/profiles.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { type Models, REQUEST, runPipeline, runStage, simClient, stateFor } from "./harness.ts";

const base = () =>
  buildRequest({
    model: "claude-sonnet-4-6",
    maxTokens: 512,
    cacheTtl: "5m",
    stable: ["Shared.", "Agent."],
    volatile: "Workflow wf-1.",
    tools: TOOL_DEFINITIONS,
  });
const headers = { "x-pressroom-agent": "planner", "x-pressroom-workflow": "wf-1" };
/** The request-shape tests below are not about the live API's quirks. */
const NO_QUIRKS = { quirks: false } as const;

function raw(body: unknown, extra: Record<string, string> = {}): Request {
  return new Request("http://anything/v1/messages", {
    method: "POST",
    headers: { "x-api-key": "sim", "anthropic-version": "2023-06-01", ...headers, ...extra },
    body: JSON.stringify(body),
  });
}

Deno.test("simulator: answers in the API's shape, with the real field names, labelled simulated", async () => {
  const sim = createSimulator(NO_QUIRKS);
  const response = await sim.handle(raw(base()));
  assertEquals(response.status, 200);
  assertMatch(response.headers.get("request-id")!, /^req_sim_/);
  const body = await response.json();
  assertMatch(body.id, /^msg_sim_/);
  assertEquals([body.type, body.role, body.model, body.stop_reason, body.stop_sequence], [
    "message",
    "assistant",
    "claude-sonnet-4-6",
    "tool_use",
    null,
  ]);
  assertEquals(Object.keys(body.usage).sort(), [
    "cache_creation",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "inference_geo",
    "input_tokens",
    "output_tokens",
    "output_tokens_details",
    "server_tool_use",
    "service_tier",
  ]);
  assertEquals(body.stop_details, null);
  assertEquals(body.usage.output_tokens_details, null, "no thinking asked for");
  assertEquals(body.usage.inference_geo, "global", "Sonnet 4.6 reports where it ran");
  assertEquals(Object.keys(body.usage.cache_creation).sort(), [
    "ephemeral_1h_input_tokens",
    "ephemeral_5m_input_tokens",
  ]);
  assertEquals(body.usage.server_tool_use, null, "no server tool offered");
  const uses = body.content.filter((b: { type: string }) => b.type === "tool_use");
  assertEquals(uses.map((b: { name: string }) => b.name), ["get_brief", "get_draft"]);
  for (const u of uses) {
    assertMatch(u.id, /^toolu_sim_/);
    assertEquals(u.caller, { type: "direct" });
  }
  assert(body.usage.output_tokens > 0);
});

Deno.test("simulator: the SDK sees bad requests as the API's errors", async () => {
  const c = simClient(createSimulator());
  // deno-lint-ignore no-explicit-any
  const send = (p: any) => c.messages.create(p, { headers });
  const { model: _, ...noModel } = base();
  await assertRejects(() => send(noModel), Anthropic.BadRequestError, "model");
  await assertRejects(() => send({ ...base(), max_tokens: 0 }), Anthropic.BadRequestError, "max_tokens");
  await assertRejects(() => send({ ...base(), messages: [] }), Anthropic.BadRequestError, "messages");
  await assertRejects(
    () => send({ ...base(), model: "claude-nonexistent-9" }),
    Anthropic.NotFoundError,
    "model",
  );
  await assertRejects(() => send({ ...base(), temperature: 0.2 }), Anthropic.BadRequestError, "temperature");
  const cc = { type: "ephemeral", ttl: "5m" };
  const five = {
    ...base(),
    system: [1, 2, 3, 4, 5].map((n) => ({ type: "text", text: `b${n}`, cache_control: cc })),
  };
  await assertRejects(() => send(five), Anthropic.BadRequestError, "maximum of 4");
  const mixed = {
    ...base(),
    system: [{ type: "text", text: "a", cache_control: cc }, {
      type: "text",
      text: "b",
      cache_control: { type: "ephemeral", ttl: "1h" },
    }],
  };
  await assertRejects(() => send(mixed), Anthropic.BadRequestError, "1h");
  const unanswered = {
    ...base(),
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_brief", input: {} }] },
      { role: "user", content: "and?" },
    ],
  };
  await assertRejects(
    () => send(unanswered),
    Anthropic.BadRequestError,
    "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: t1.",
  );
  await assertRejects(
    () => send({ ...base(), model: "claude-opus-4-7", thinking: { type: "enabled", budget_tokens: 2048 } }),
    Anthropic.BadRequestError,
    "thinking",
  );
  const noKey = await createSimulator().handle(
    new Request("http://x/v1/messages", {
      method: "POST",
      body: "{}",
      headers: { "anthropic-version": "x" },
    }),
  );
  assertEquals(noKey.status, 401);
  assertEquals((await noKey.json()).error.type, "authentication_error");
});

Deno.test("simulator: the same seed and requests give the same workflow; another seed, another one", async () => {
  const models = Object.fromEntries(AGENT_IDS.map((a) => [a, "claude-sonnet-4-6"])) as Models;
  const run = async (seed: number) => {
    const result = await runPipeline(simClient(createSimulator({ seed })), REQUEST, models, "wf-same");
    return JSON.stringify([
      result.state,
      result.stages.map((s) => s.result.messages.map((m) => [m.id, m.content, m.usage])),
    ]);
  };
  const a = await run(1);
  assertEquals(a, await run(1));
  assert(a !== await run(2));
});

Deno.test("simulator: only the researcher searches the web, at most max_uses per request, billed as requests", async () => {
  const sim = createSimulator({ seed: 6 });
  const client = simClient(sim);
  for (const agent of ["researcher", "writer"] as const) {
    const state = stateFor(agent);
    if (agent === "researcher") state.draft!.sections.forEach((s) => (s.notes = []));
    const result = await runStage(client, { agent, model: "claude-opus-4-7", state, webSearchMaxUses: 1 });
    assert(result.done);
    const counts = result.messages.map((m) => m.usage.server_tool_use?.web_search_requests);
    for (const n of counts) assert(n !== undefined && n !== null && n <= 1, `searches ${n}`);
    const total = counts.reduce((a: number, b) => a + (b ?? 0), 0);
    if (agent === "researcher") {
      assert(total > 0, "the researcher searched");
      // Each search's result comes in the same reply, or in the reply that continues a paused turn.
      result.messages.forEach((m, i) => {
        const next = m.stop_reason === "pause_turn" ? result.messages[i + 1].content : [];
        const results = [...m.content, ...next].filter((b) => b.type === "web_search_tool_result");
        for (const call of m.content.filter((b) => b.type === "server_tool_use")) {
          assert(
            results.some((r) => "tool_use_id" in r && r.tool_use_id === call.id),
            `no result for ${call.id}`,
          );
        }
      });
    } else assertEquals(total, 0);
  }
});

Deno.test("simulator: latency is the profile's base + per output token, times latencyScale, via the injected sleep", async () => {
  const slept: number[] = [];
  const sim = createSimulator({ latencyScale: 0.5, sleep: (ms) => (slept.push(ms), Promise.resolve()) });
  const message = await simClient(sim).messages.create(base(), { headers });
  const { baseMs, perOutputTokenMs } = PROFILES.sonnet.latency;
  assertEquals(slept, [(baseMs + perOutputTokenMs * message.usage.output_tokens) * 0.5]);
  const instant: number[] = [];
  await simClient(createSimulator({ sleep: (ms) => (instant.push(ms), Promise.resolve()) })).messages.create(
    base(),
    {
      headers,
    },
  );
  assertEquals(instant, [], "latencyScale 0 by default: no waiting");
});

Deno.test("simulator: an answer longer than max_tokens is cut off with stop_reason max_tokens", async () => {
  const state = stateFor("writer");
  const result = await runStage(simClient(createSimulator()), {
    agent: "writer",
    model: "claude-sonnet-4-6",
    state,
    maxTokens: 30,
    maxTurns: 8,
  });
  const cut = result.messages.filter((m) => m.stop_reason === "max_tokens");
  assert(cut.length > 0);
  for (const m of cut) {
    assertEquals(m.usage.output_tokens, 30);
    assert(m.content.every((b) => b.type === "text"));
  }
});

Deno.test("simulator: Opus writes ~1,400 more output tokens per writer call than Sonnet (field report)", async () => {
  const perCall = async (model: string) => {
    const tokens: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const result = await runStage(simClient(createSimulator({ seed })), {
        agent: "writer",
        model,
        state: stateFor("writer"),
        maxTokens: 4096,
      });
      for (const m of result.messages) {
        if (m.content.some((b) => b.type === "tool_use" && b.name === "update_section")) {
          tokens.push(m.usage.output_tokens);
        }
      }
    }
    return tokens.reduce((a, b) => a + b, 0) / tokens.length;
  };
  const sonnet = await perCall("claude-sonnet-4-6");
  const opus = await perCall("claude-opus-4-7");
  console.log(`  writer output tokens per call: sonnet ${Math.round(sonnet)}, opus ${Math.round(opus)}`);
  assert(opus - sonnet > 1100 && opus - sonnet < 1700, `difference ${opus - sonnet}`);
});

Deno.test("simulator: every billed call costs no more than callClaude's reserved worst case", async () => {
  const prices = new PriceBook();
  const sim = createSimulator({ seed: 21, prices });
  let checked = 0;
  const fetchChecked: typeof fetch = async (input, init) => {
    const response = await sim.fetch(input, init);
    const params = JSON.parse(String(init?.body));
    const body = await response.clone().json();
    if (response.ok) {
      const priced = prices.require(params.model);
      const billed = costNano(normalizeUsage(body.usage, "5m"), priced);
      const reserved = worstCaseNano(params, priced);
      assert(billed <= reserved, `billed ${billed} > reserved ${reserved}`);
      checked++;
    }
    return response;
  };
  const client = new Anthropic({
    apiKey: "sim",
    baseURL: "http://sim.invalid",
    fetch: fetchChecked,
    maxRetries: 0,
  });
  const models = Object.fromEntries(AGENT_IDS.map((a) => [a, "claude-opus-4-7"])) as Models;
  const result = await runPipeline(client, REQUEST, models, "wf-cost", { webSearchMaxUses: 2 });
  assert(result.end !== "stuck");
  assert(checked > 20, `${checked} calls checked`);
});

Deno.test("simulator: count_tokens answers input_tokens; no role header gets a plain text answer", async () => {
  const sim = createSimulator();
  const counted = await sim.handle(
    new Request("http://x/v1/messages/count_tokens", {
      method: "POST",
      headers: { "x-api-key": "sim", "anthropic-version": "x" },
      body: JSON.stringify(base()),
    }),
  );
  const { input_tokens } = await counted.json();
  assert(input_tokens > 346, `${input_tokens}`);
  const message = await simClient(sim).messages.create(base());
  assertEquals(message.stop_reason, "end_turn");
  assertMatch((message.content[0] as Anthropic.TextBlock).text, /simulated model/);
});
