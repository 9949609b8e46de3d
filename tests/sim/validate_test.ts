/**
 * What the real API refuses, the simulated model and the loopback fake API refuse too: each refusal
 * with its status and its exact message, from the pure validator, the simulator (through the SDK)
 * and the fake API over HTTP; and what the API takes (a paused turn sent back last, a prefill on a
 * model that has prefill, the strict tool definitions Pressroom sends) goes through.
 */
// deno-lint-ignore-file no-explicit-any
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { STRICT_TOOL_DEFINITIONS, TOOL_DEFINITIONS } from "../../src/pipeline/tools.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import {
  BUDGET_NOT_BELOW_MAX_TOKENS,
  BUDGET_TOO_SMALL,
  EMPTY_CONTENT,
  EMPTY_TEXT,
  NO_PREFILL,
  TRAILING_WHITESPACE,
  validateRequest,
  WHITESPACE_TEXT,
} from "../../src/sim/validate.ts";
import { startFakeApi } from "../fake_api/server.ts";
import { TEST_KEY } from "../helpers.ts";
import { simClient } from "./harness.ts";

const PRICES = new PriceBook();
const lookup = (model: string) => PRICES.lookup(model);
const HEADERS = { "x-pressroom-agent": "researcher", "x-pressroom-workflow": "wf-validate" };

/** A valid request: the real layout, a user turn last. */
function body(extra: Record<string, unknown> = {}, messages?: unknown[]): any {
  const params: any = buildRequest({
    model: "claude-sonnet-4-6",
    maxTokens: 512,
    cacheTtl: "5m",
    stable: ["Shared.", "Agent."],
    volatile: "Workflow wf-validate.",
  });
  if (messages) params.messages = messages;
  return { ...params, ...extra };
}

const user = (text = "Go on.") => ({ role: "user", content: [{ type: "text", text }] });
const call = { type: "tool_use", id: "toolu_1", name: "get_brief", input: {} };
const answer = { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "{}" }] };
const search = { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "compost" } };
const searchResult = { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] };
const strictTool = (schema: Record<string, unknown>) => ({
  name: "t",
  description: "A tool.",
  strict: true,
  input_schema: { type: "object", additionalProperties: false, required: [], ...schema },
});

/** Each refusal: a body the API refuses and the message it answers with. */
const REFUSED: { name: string; body: any; message: string }[] = [
  {
    name: "an assistant message with empty content ([]) before the last",
    body: body({}, [user("Hi."), { role: "assistant", content: [] }, user()]),
    message: `messages.1: ${EMPTY_CONTENT}`,
  },
  {
    name: 'an assistant message with empty content ("") before the last',
    body: body({}, [user("Hi."), { role: "assistant", content: "" }, user()]),
    message: `messages.1: ${EMPTY_CONTENT}`,
  },
  {
    name: "a user message with empty content",
    body: body({}, [{ role: "user", content: [] }]),
    message: `messages.0: ${EMPTY_CONTENT}`,
  },
  {
    name: "an empty text block",
    body: body({}, [user("Hi."), { role: "assistant", content: [{ type: "text", text: "" }] }, user()]),
    message: EMPTY_TEXT,
  },
  {
    name: "a text block that is only whitespace",
    body: body({}, [user("Hi."), { role: "assistant", content: [{ type: "text", text: "\n\n" }] }, user()]),
    message: WHITESPACE_TEXT,
  },
  {
    name: "an unpaired server_tool_use followed by a user turn",
    body: body({}, [user("Hi."), {
      role: "assistant",
      content: [{ type: "text", text: "Searching." }, search],
    }, user()]),
    message:
      "messages.1: `web_search` tool use with id `srvtoolu_1` was found without a corresponding `web_search_tool_result` block",
  },
  {
    name: "a search result whose call is not before it",
    body: body({}, [user("Hi."), { role: "assistant", content: [searchResult] }, user()]),
    message:
      "messages.1.content.0: unexpected `tool_use_id` found in `web_search_tool_result` blocks: srvtoolu_1. " +
      "Each `web_search_tool_result` block must have a corresponding `server_tool_use` block before it.",
  },
  {
    name: "a tool_use without its tool_result",
    body: body({}, [user("Hi."), { role: "assistant", content: [call] }, user()]),
    message:
      "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. " +
      "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
  },
  {
    name: "a tool_result without its tool_use",
    body: body({}, [answer]),
    message: "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_1. " +
      "Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
  },
  {
    name: "thinking.budget_tokens below 1024",
    body: body({ max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 1000 } }),
    message: BUDGET_TOO_SMALL,
  },
  {
    name: "thinking.budget_tokens equal to max_tokens",
    body: body({ max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 2048 } }),
    message: BUDGET_NOT_BELOW_MAX_TOKENS,
  },
  {
    name: "thinking.budget_tokens above max_tokens",
    body: body({ max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 4000 } }),
    message: BUDGET_NOT_BELOW_MAX_TOKENS,
  },
  {
    name: "five cache_control breakpoints",
    body: body({
      system: [1, 2, 3, 4, 5].map((n) => ({
        type: "text",
        text: `b${n}`,
        cache_control: { type: "ephemeral" },
      })),
    }),
    message: "A maximum of 4 blocks with cache_control may be provided. Found 5.",
  },
  {
    name: "a 5m breakpoint before a 1h one",
    body: body({
      system: [
        { type: "text", text: "a", cache_control: { type: "ephemeral", ttl: "5m" } },
        { type: "text", text: "b", cache_control: { type: "ephemeral", ttl: "1h" } },
      ],
    }, [user("Hi.")]),
    message: "system.1.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' " +
      "cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
  },
  ...["temperature", "top_p", "top_k"].map((name) => ({
    name: `${name}, removed by this API version`,
    body: body({ [name]: 0.5 }),
    message: `${name}: Extra inputs are not permitted in this API version`,
  })),
  {
    name: "a strict tool with maxLength",
    body: body({ tools: [strictTool({ properties: { a: { type: "string", maxLength: 10 } } })] }),
    message: "tools.0.custom: For 'string' type, property 'maxLength' is not supported",
  },
  {
    name: "a strict tool with minLength and maxLength",
    body: body({
      tools: [strictTool({ properties: { a: { type: "string", minLength: 1, maxLength: 10 } } })],
    }),
    message: "tools.0.custom: For 'string' type, properties maxLength, minLength are not supported",
  },
  {
    name: "a strict tool with minimum and maximum",
    body: body({ tools: [strictTool({ properties: { n: { type: "integer", minimum: 1, maximum: 9 } } })] }),
    message: "tools.0.custom: For 'integer' type, properties maximum, minimum are not supported",
  },
  ...["exclusiveMinimum", "exclusiveMaximum", "multipleOf"].map((keyword) => ({
    name: `a strict tool with ${keyword}`,
    body: body({ tools: [strictTool({ properties: { n: { type: "number", [keyword]: 2 } } })] }),
    message: `tools.0.custom: For 'number' type, property '${keyword}' is not supported`,
  })),
  {
    name: "a strict tool with minItems above 1",
    body: body({
      tools: [strictTool({ properties: { l: { type: "array", items: { type: "string" }, minItems: 2 } } })],
    }),
    message: "tools.0.custom: For 'array' type, 'minItems' values other than 0 or 1 are not supported",
  },
  ...["maxItems", "uniqueItems"].map((keyword) => ({
    name: `a strict tool with ${keyword}`,
    body: body({
      tools: [strictTool({ properties: { l: { type: "array", items: { type: "string" }, [keyword]: 3 } } })],
    }),
    message: `tools.0.custom: For 'array' type, property '${keyword}' is not supported`,
  })),
  {
    name: "a strict tool whose nested object allows more properties",
    body: body({
      tools: [TOOL_DEFINITIONS[0], strictTool({ properties: { o: { type: "object", properties: {} } } })],
    }),
    message: "tools.1.custom: For 'object' type, 'additionalProperties' must be explicitly set to false",
  },
];

/** What the API takes, though it looks close to a refusal. */
const TAKEN: { name: string; body: any; pressroomShape?: false }[] = [
  {
    name: "a paused turn sent back as the last message",
    body: body({}, [user("Hi."), {
      role: "assistant",
      content: [{ type: "text", text: "Searching." }, search],
    }]),
  },
  {
    name: "a search beside client tool calls, answered in the next turn",
    body: body({}, [user("Hi."), { role: "assistant", content: [search, call] }, answer]),
  },
  {
    name: "a paused turn's continuation joined to it (two assistant messages)",
    body: body({}, [
      user("Hi."),
      { role: "assistant", content: [search] },
      { role: "assistant", content: [searchResult, call] },
      answer,
    ]),
    // The fake API asks Pressroom to join them itself.
    pressroomShape: false,
  },
  {
    name: "an empty final assistant message on a model with prefill",
    body: body({ model: "claude-haiku-4-5" }, [user("Hi."), { role: "assistant", content: [] }]),
    // Pressroom never prefills: the fake API flags any last assistant message but a paused turn.
    pressroomShape: false,
  },
  {
    name: "a prefill on a model with prefill",
    body: body({ model: "claude-haiku-4-5" }, [user("Hi."), { role: "assistant", content: "The answer is" }]),
    pressroomShape: false,
  },
  {
    name: "a thinking budget of 1024, below max_tokens",
    body: body({ max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 1024 } }),
  },
  { name: "Pressroom's strict tool definitions", body: body({ tools: STRICT_TOOL_DEFINITIONS }) },
  { name: "Pressroom's full tool definitions without strict", body: body({ tools: TOOL_DEFINITIONS }) },
  { name: "inference_geo us on Sonnet 4.6", body: body({ inference_geo: "us" }) },
];

/** Model-dependent refusals, only with the model's facts (the simulator always has them). */
const REFUSED_FOR_MODEL: { name: string; body: any; message: string }[] = [
  {
    name: "a prefill on Claude 4.6 or later",
    body: body({}, [user("Hi."), { role: "assistant", content: [{ type: "text", text: "The answer is" }] }]),
    message: NO_PREFILL,
  },
  {
    name: "an empty final assistant message on Claude 4.6 or later",
    body: body({}, [user("Hi."), { role: "assistant", content: [] }]),
    message: NO_PREFILL,
  },
  {
    name: "a final assistant message ending in whitespace",
    body: body({ model: "claude-haiku-4-5" }, [user("Hi."), {
      role: "assistant",
      content: "The answer is ",
    }]),
    message: TRAILING_WHITESPACE,
  },
  {
    name: "inference_geo on a model before Claude 4.6",
    body: body({ model: "claude-haiku-4-5", inference_geo: "us" }),
    message: "inference_geo: not supported for claude-haiku-4-5",
  },
];

for (const c of [...REFUSED, ...REFUSED_FOR_MODEL]) {
  Deno.test(`validate: refuses ${c.name}, in the API's words`, () => {
    assertEquals(validateRequest(c.body, { lookup }), {
      status: 400,
      type: "invalid_request_error",
      message: c.message,
    });
  });
}

for (const c of TAKEN) {
  Deno.test(`validate: takes ${c.name}`, () => {
    assertEquals(validateRequest(c.body, { lookup, requireKnownModel: true }), undefined);
  });
}

Deno.test("validate: without the model's facts, only the model-free rules apply; an unknown model is a 404 when required", () => {
  for (const c of REFUSED) assertEquals(validateRequest(c.body)?.message, c.message, c.name);
  for (const c of REFUSED_FOR_MODEL) assertEquals(validateRequest(c.body), undefined, c.name);
  assertEquals(
    validateRequest(body({ model: "claude-nonexistent-9" }), { lookup, requireKnownModel: true }),
    {
      status: 404,
      type: "not_found_error",
      message: "model: claude-nonexistent-9",
    },
  );
  assertEquals(validateRequest(body({ model: "claude-nonexistent-9" }), { lookup }), undefined);
});

Deno.test("validate: the simulator answers every refusal with the same 400 through the SDK", async () => {
  const client = simClient(createSimulator({ quirks: false }));
  for (const c of [...REFUSED, ...REFUSED_FOR_MODEL]) {
    const error = await assertRejects(
      () => client.messages.create(c.body, { headers: HEADERS }),
      Anthropic.BadRequestError,
    );
    assertEquals([error.status, (error.error as any).error], [400, {
      type: "invalid_request_error",
      message: c.message,
    }], c.name);
  }
  for (const c of TAKEN) {
    const message = await client.messages.create(c.body, { headers: HEADERS });
    assert(message.id.startsWith("msg_sim_"), c.name);
  }
});

Deno.test("validate: the fake API answers the same 400 for the same bodies, and lists it in problems", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY });
  try {
    const post = (b: unknown) =>
      fetch(`${api.url}/v1/messages`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${TEST_KEY}`,
          "anthropic-version": "2026-10-21",
          "content-type": "application/json",
          ...HEADERS,
        },
        body: JSON.stringify(b),
      });
    for (const c of [...REFUSED, ...REFUSED_FOR_MODEL]) {
      const response = await post(c.body);
      assertEquals(response.status, 400, c.name);
      assertEquals(
        (await response.json()).error,
        { type: "invalid_request_error", message: c.message },
        c.name,
      );
      assertEquals(api.requests.at(-1)!.problems[0], c.message, c.name);
    }
    // What the API takes but Pressroom never sends is still a problem of its own.
    const prefill = await post(TAKEN.find((t) => t.name === "a prefill on a model with prefill")!.body);
    assertEquals([prefill.status, (await prefill.json()).error], [400, {
      type: "invalid_request_error",
      message: "last message is from the assistant and is not a paused turn",
    }]);
    for (const c of TAKEN.filter((t) => t.pressroomShape !== false)) {
      const response = await post(c.body);
      await response.body?.cancel();
      assertEquals([response.status, api.requests.at(-1)!.problems], [200, []], c.name);
    }
  } finally {
    await api.close();
  }
});
