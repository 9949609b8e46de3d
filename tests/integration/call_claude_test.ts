/**
 * callClaude() through the real SDK over real HTTP to the fake Messages API on
 * 127.0.0.1: request shape, one ledger row per call, retries, errors, caps.
 */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { BadResponseError, callClaude } from "../../src/claude/call_claude.ts";
import { CostCapError, UnknownModelError } from "../../src/errors.ts";
import { costNano, normalizeUsage } from "../../src/ledger/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { worstCaseNano } from "../../src/claude/estimate.ts";
import { createClient } from "../../src/claude/client.ts";
import { usdToNano } from "../../src/ledger/money.ts";
import { errorReply, greedyReply, okReply, seededRandom, startFakeApi } from "../fake_api/server.ts";
import {
  caps,
  deps,
  filesUnder,
  openLedger,
  recordedNano,
  simpleCall,
  tempDir,
  TEST_KEY,
} from "../helpers.ts";

function rows(ledger: ReturnType<typeof openLedger>) {
  return ledger.db.prepare("SELECT * FROM ai_call_log ORDER BY id").all().map((r) => ({ ...r })) as Record<
    string,
    unknown
  >[];
}

Deno.test("one call: the request has the design's shape and lands as one exact ledger row", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req) =>
      okReply(req, {
        usage: {
          input_tokens: 1000,
          output_tokens: 200,
          cache_creation_input_tokens: 3000,
          cache_read_input_tokens: 500,
          cache_creation: { ephemeral_5m_input_tokens: 3000, ephemeral_1h_input_tokens: 0 },
        },
        content: [{ type: "tool_use", id: "toolu_1", name: "get_brief", input: {} }],
        stop_reason: "tool_use",
      }),
  });
  const ledger = openLedger(await tempDir());
  try {
    const result = await callClaude(deps(ledger, api.url), {
      ...simpleCall({ turn: 3 }),
      judgeToolCalls: () => ({ made: 1, succeeded: 1 }),
    });
    assertEquals(api.requests.length, 1);
    const sent = api.requests[0];
    assertEquals(sent.problems, []);
    assertEquals(sent.headers.get("x-pressroom-agent"), "writer");
    assertEquals(sent.headers.get("x-pressroom-workflow"), "wf-1");
    assertEquals(sent.body.system.map((b: { cache_control: unknown }) => b.cache_control), [
      { type: "ephemeral", ttl: "5m" },
      { type: "ephemeral", ttl: "5m" },
    ]);
    assertEquals(
      sent.body.messages[0].content[0].cache_control,
      undefined,
      "the volatile block is not cached",
    );
    // 1000 × $5 + 3000 × $6.25 + 500 × $0.50 + 200 × $25 per MTok = $0.029
    assertEquals(result.costNano, 29_000_000);
    const [row] = rows(ledger);
    assertEquals({
      agent: row.agent_id,
      workflow: row.workflow_instance_id,
      model: row.model,
      input: row.input_tokens,
      output: row.output_tokens,
      read: row.cache_read_tokens,
      write: row.cache_write_tokens,
      write5m: row.cache_write_5m_tokens,
      usd: row.usd_cost,
      nano: row.cost_nano_usd,
      made: row.tool_calls_made,
      succeeded: row.tool_calls_succeeded,
      stop: row.stop_reason,
      status: row.status,
      requestId: row.request_id,
      turn: row.turn,
      attempts: row.attempts,
      backend: row.backend,
    }, {
      agent: "writer",
      workflow: "wf-1",
      model: "claude-opus-4-7",
      input: 1000,
      output: 200,
      read: 500,
      write: 3000,
      write5m: 3000,
      usd: 0.029,
      nano: 29_000_000,
      made: 1,
      succeeded: 1,
      stop: "tool_use",
      status: "ok",
      requestId: "req_fake_0",
      turn: 3,
      attempts: 1,
      backend: "sim",
    });
    // This scripted usage bills more than so small a request could: the row keeps the real cost anyway.
    assert((row.reserved_nano_usd as number) > 0 && (row.reserved_nano_usd as number) < 29_000_000);
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("a 429 with retry-after is retried by the SDK under one reservation and one row", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req, n) =>
      n === 0 ? errorReply(429, "rate_limit_error", { "retry-after-ms": "20" }) : okReply(req),
  });
  const ledger = openLedger(await tempDir());
  try {
    await callClaude(deps(ledger, api.url), simpleCall());
    assertEquals(api.requests.length, 2);
    const all = rows(ledger);
    assertEquals(all.map((r) => [r.status, r.attempts, r.request_id]), [["ok", 2, "req_fake_1"]]);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("retries exhausted on 529: an api_error row with no cost, the reservation released, the error raised", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: () => errorReply(529, "overloaded_error", { "retry-after-ms": "5" }),
  });
  const ledger = openLedger(await tempDir());
  try {
    const error = await assertRejects(
      () => callClaude(deps(ledger, api.url, 2), simpleCall()),
      Anthropic.APIError,
    );
    assertEquals(error.status, 529);
    assertEquals(api.requests.length, 3);
    const [row] = rows(ledger);
    assertEquals([row.status, row.cost_nano_usd, row.usd_cost, row.attempts, row.request_id], [
      "api_error",
      0,
      0,
      3,
      "req_fake_2",
    ]);
    assert(String(row.error).includes("529 overloaded_error"), String(row.error));
    assertEquals(ledger.openReservations(), 0);
    assertEquals(ledger.capStatus()[0].spentNano, 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("a 400 is not retried and costs nothing; a malformed 200 body is an error booked at its worst case", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (_req, n) =>
      n === 0
        ? errorReply(400, "invalid_request_error")
        : { body: "{not json", headers: { "content-type": "application/json" } },
  });
  const ledger = openLedger(await tempDir());
  try {
    await assertRejects(() => callClaude(deps(ledger, api.url), simpleCall()), Anthropic.BadRequestError);
    await assertRejects(() => callClaude(deps(ledger, api.url), simpleCall()), BadResponseError);
    assertEquals(api.requests.length, 2);
    // The 200 was billed though nobody can read what for: never zero.
    const [bad, unreadable] = rows(ledger);
    assertEquals([bad.status, bad.cost_nano_usd], ["api_error", 0]);
    assertEquals([unreadable.status, unreadable.cost_nano_usd], ["api_error", unreadable.reserved_nano_usd]);
    assert((unreadable.cost_nano_usd as number) > 0);
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("a response without usage is booked at its reserved worst case, never at zero", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req) => {
      const reply = okReply(req);
      delete (reply.body as { usage?: unknown }).usage;
      return reply;
    },
  });
  const ledger = openLedger(await tempDir());
  try {
    const result = await callClaude(deps(ledger, api.url), simpleCall());
    const [row] = rows(ledger);
    assertEquals(row.cost_nano_usd, row.reserved_nano_usd);
    assertEquals(result.costNano, row.reserved_nano_usd);
    assert(String(row.error).includes("no usage"));
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("an unknown model or a cap refusal sends nothing and spends nothing", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY });
  const ledger = openLedger(await tempDir(), caps({ perWorkflowUsd: 0.001 }));
  try {
    await assertRejects(
      () => callClaude(deps(ledger, api.url), simpleCall({ model: "claude-imaginary-9" })),
      UnknownModelError,
      "claude-imaginary-9",
    );
    const refused = await assertRejects(() => callClaude(deps(ledger, api.url), simpleCall()), CostCapError);
    assertEquals(refused.breach.cap, "perWorkflowUsd");
    assertEquals(api.requests.length, 0);
    assertEquals(rows(ledger).length, 0);
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("a timeout and an abort are recorded as api_error rows booked at their worst case, never at zero", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY, reply: (req) => ({ ...okReply(req), delayMs: 1_000 }) });
  const ledger = openLedger(await tempDir());
  try {
    const base = deps(ledger, api.url, 0);
    const { createClient } = await import("../../src/claude/client.ts");
    const impatient = {
      ...base,
      client: createClient({ apiKey: TEST_KEY, baseURL: api.url, maxRetries: 0, timeoutMs: 100 }),
    };
    await assertRejects(() => callClaude(impatient, simpleCall()), Anthropic.APIConnectionTimeoutError);
    const controller = new AbortController();
    const pending = callClaude(base, { ...simpleCall(), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await assertRejects(() => pending, Anthropic.APIUserAbortError);
    // The request may have been processed and billed with no answer reaching us: booked at the worst case.
    const booked = rows(ledger);
    assertEquals(booked.map((r) => [r.status, r.cost_nano_usd === r.reserved_nano_usd]), [
      ["api_error", true],
      [
        "api_error",
        true,
      ],
    ]);
    assert((booked[0].cost_nano_usd as number) > 0);
    assert(String(booked[0].error).includes("booked at its worst case"));
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("a retry after a timeout first reserves one more worst case: refused when no cap has room, never booked past one", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY, reply: (req) => ({ ...okReply(req), delayMs: 300 }) });
  const prices = new PriceBook();
  const worst = worstCaseNano(buildRequest(simpleCall()), prices.require("claude-opus-4-7"));
  // Room for the first attempt's worst case and half of another.
  const ledger = openLedger(await tempDir(), caps({ perWorkflowUsd: (worst * 1.5) / 1e9 }));
  try {
    // The SDK retries a timeout (two retries here); each retry must find room for another worst case.
    const impatient = {
      ...deps(ledger, api.url),
      client: createClient({ apiKey: TEST_KEY, baseURL: api.url, maxRetries: 2, timeoutMs: 100 }),
    };
    const refused = await assertRejects(() => callClaude(impatient, simpleCall()), CostCapError);
    assertEquals([refused.breach.cap, refused.breach.requestNano], ["perWorkflowUsd", worst]);
    assertEquals(api.requests.length, 1, "the retry was never sent");
    const [row] = rows(ledger);
    assertEquals([row.status, row.attempts, row.cost_nano_usd, row.reserved_nano_usd], [
      "api_error",
      1,
      worst,
      worst,
    ]);
    assert(String(row.error).includes("CostCapError"), String(row.error));
    assertEquals(ledger.openReservations(), 0);
    assert(recordedNano(ledger) <= usdToNano((worst * 1.5) / 1e9));
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("64 concurrent calls against a cap that fits only some: spend stays under it, the rest get CostCapError", async () => {
  const prices = new PriceBook();
  const api = startFakeApi({ apiKey: TEST_KEY, latencyMs: [5, 60], seed: 7, reply: greedyReply });
  const dailyUsd = 0.25;
  const ledger = openLedger(await tempDir(), caps({ dailyUsd, perModelDailyUsd: {}, perWorkflowUsd: 100 }));
  const random = seededRandom(11);
  try {
    const d = deps(ledger, api.url);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 64 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, random() * 300));
        return callClaude(d, simpleCall({ workflowId: `wf-${i % 8}`, maxTokens: 1000 + (i % 5) * 200 }));
      }),
    );
    const ok = outcomes.filter((o) => o.status === "fulfilled").length;
    const refused = outcomes.filter((o) =>
      o.status === "rejected" && o.reason instanceof CostCapError
    ).length;
    assertEquals(ok + refused, 64, "every call either succeeded or was refused by the cap");
    assert(ok > 0 && refused > 0, `the cap should fit only some calls (ok ${ok}, refused ${refused})`);
    assertEquals(api.requests.length, ok, "refused calls sent nothing");
    const spent = recordedNano(ledger);
    assert(spent <= dailyUsd * 1e9, `recorded $${spent / 1e9} is over the $${dailyUsd} cap`);
    const billed = api.billed.reduce(
      (n, b) => n + costNano(normalizeUsage(b.usage, "5m"), prices.require(b.model)),
      0,
    );
    assertEquals(spent, billed, "the ledger holds exactly what the server billed");
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await api.close();
  }
});

Deno.test("the API key never reaches the ledger or any file in the data folder", async () => {
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req, n) => n % 2 ? errorReply(401, "authentication_error") : okReply(req),
  });
  const dir = await tempDir();
  const ledger = openLedger(dir);
  try {
    for (let i = 0; i < 4; i++) await callClaude(deps(ledger, api.url, 0), simpleCall()).catch(() => {});
    assertEquals(rows(ledger).length, 4);
  } finally {
    ledger.close();
    await api.close();
  }
  const needle = new TextEncoder().encode(TEST_KEY);
  for await (const [path, bytes] of filesUnder(dir)) {
    const text = new TextDecoder("latin1").decode(bytes);
    assert(!text.includes(new TextDecoder("latin1").decode(needle)), `the key was written to ${path}`);
  }
});
