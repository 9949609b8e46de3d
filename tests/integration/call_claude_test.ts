/**
 * callClaude() through the real SDK over real HTTP to the fake Messages API on
 * 127.0.0.1: request shape, one ledger row per call, retries, errors, caps; and
 * what a failed connection books, against real loopback failures (a refused
 * port, a TLS handshake with a plain HTTP server, the simulated model's reset).
 */
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { BadResponseError, callClaude } from "../../src/claude/call_claude.ts";
import { CostCapError, UnknownModelError } from "../../src/errors.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { buildRequest } from "../../src/claude/request.ts";
import { worstCaseNano } from "../../src/claude/estimate.ts";
import { createClient } from "../../src/claude/client.ts";
import { usdToNano } from "../../src/pricing/money.ts";
import { overReservation } from "../../src/ledger/anomalies.ts";
import { errorReply, greedyReply, okReply, seededRandom, startFakeApi } from "../fake_api/server.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import {
  caps,
  deps,
  filesUnder,
  openLedger,
  rawDb,
  recordedNano,
  runPressroom,
  simpleCall,
  tempDir,
  TEST_KEY,
} from "../helpers.ts";

function rows(ledger: ReturnType<typeof openLedger>) {
  return rawDb(ledger).prepare("SELECT * FROM ai_call_log ORDER BY id").all().map((r) => ({
    ...r,
  })) as Record<
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
      backend: "anthropic",
    });
    // This scripted usage bills more than so small a request could: the row keeps the real cost anyway,
    // and says so.
    assert((row.reserved_nano_usd as number) > 0 && (row.reserved_nano_usd as number) < 29_000_000);
    assertEquals(
      row.error,
      `usage over the reservation: $0.029000000 > ${usd9(row.reserved_nano_usd as number)} reserved; ` +
        "booked as reported",
    );
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
    for (const row of booked) {
      assert(
        String(row.error).endsWith(
          "; 1 attempt(s) may have been billed with no answer (1 timed out or aborted): each booked at its worst case",
        ),
        String(row.error),
      );
    }
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

/** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** nano-USD as the ledger's notes write it: every nano-dollar. */
function usd9(nano: number): string {
  return `$${Math.floor(nano / 1e9)}.${String(nano % 1e9).padStart(9, "0")}`;
}

const WORST = worstCaseNano(buildRequest(simpleCall()), new PriceBook().require("claude-opus-4-7"));

Deno.test("a refused connection never reached the API: $0, and its retry needs no more room under the caps", async () => {
  // Room for one worst case and half of another: a retry that had to hold a second would be refused.
  const ledger = openLedger(await tempDir(), caps({ perWorkflowUsd: (WORST * 1.5) / 1e9 }));
  try {
    const d = deps(ledger, `http://127.0.0.1:${freePort()}`, 1);
    const error = await assertRejects(() => callClaude(d, simpleCall()), Anthropic.APIConnectionError);
    assertMatch(
      String((error.cause as Error).cause),
      /client error \(Connect\): tcp connect error: Connection refused/,
    );
    const [row] = rows(ledger);
    assertEquals([row.status, row.attempts, row.cost_nano_usd, row.reserved_nano_usd], [
      "api_error",
      2,
      0,
      WORST,
    ]);
    assertMatch(
      String(row.error),
      /^APIConnectionError: Connection error\. \(.*Connection refused.*\); 2 attempt\(s\) never reached the API \(2 connection refused\): booked at \$0$/,
    );
    assertEquals([ledger.openReservations(), recordedNano(ledger)], [0, 0]);
  } finally {
    ledger.close();
  }
});

Deno.test("a TLS handshake that fails and a port Deno blocks never reached the API: $0", async () => {
  const api = startFakeApi({ apiKey: TEST_KEY });
  const ledger = openLedger(await tempDir());
  try {
    const cases: [string, string][] = [
      // https:// to a plain HTTP server: the handshake fails before any request is written.
      [api.url.replace("http://", "https://"), "TLS handshake failed"],
      ["http://127.0.0.1:1", "port blocked by Deno before connecting"],
    ];
    for (const [url] of cases) {
      await assertRejects(() => callClaude(deps(ledger, url, 0), simpleCall()), Anthropic.APIConnectionError);
    }
    assertEquals(api.requests.length, 0, "no request reached the server");
    const all = rows(ledger);
    assertEquals(all.map((r) => [r.status, r.attempts, r.cost_nano_usd]), [["api_error", 1, 0], [
      "api_error",
      1,
      0,
    ]]);
    for (const [i, [, reason]] of cases.entries()) {
      assert(
        String(all[i].error).endsWith(`; 1 attempt(s) never reached the API (1 ${reason}): booked at $0`),
        String(all[i].error),
      );
    }
    assertEquals([ledger.openReservations(), recordedNano(ledger)], [0, 0]);
  } finally {
    ledger.close();
    await api.close();
  }
});

const LOST = "connection lost after the request may have been sent";

Deno.test("a connection reset after the request was sent is booked at its worst case; the retry held one more", async () => {
  // The first attempt of each call is reset (the socket closed with no HTTP response); the second goes through.
  const sim = createSimulator({
    faults: { script: (_i, _agent, { attempt }) => (attempt === 0 ? "connection_reset" : undefined) },
  });
  const server = serveSimulator(sim);
  const ledger = openLedger(await tempDir());
  try {
    const result = await callClaude(deps(ledger, server.url, 1), simpleCall());
    assertEquals(sim.requests, 2);
    const answered = costNano(result.usage, new PriceBook().require("claude-opus-4-7"));
    assert(answered > 0 && answered < WORST);
    const [row] = rows(ledger);
    assertEquals([row.status, row.attempts, row.cost_nano_usd, row.reserved_nano_usd], [
      "ok",
      2,
      answered + WORST,
      2 * WORST,
    ]);
    assertEquals(result.costNano, answered + WORST);
    assertEquals(
      row.error,
      `1 attempt(s) may have been billed with no answer (1 ${LOST}): each booked at its worst case`,
    );
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
    await server.close();
  }
});

Deno.test("resets on every attempt: the worst case per attempt; a retry the caps cannot hold is never sent", async () => {
  const sim = createSimulator({ faults: { script: () => "connection_reset" } });
  const server = serveSimulator(sim);
  try {
    const roomy = openLedger(await tempDir());
    try {
      const error = await assertRejects(
        () => callClaude(deps(roomy, server.url, 1), simpleCall()),
        Anthropic.APIConnectionError,
      );
      assertMatch(
        String((error.cause as Error).cause),
        /client error \(SendRequest\): connection closed before message completed/,
      );
      const [row] = rows(roomy);
      assertEquals([row.status, row.attempts, row.cost_nano_usd, row.reserved_nano_usd], [
        "api_error",
        2,
        2 * WORST,
        2 * WORST,
      ]);
      assertMatch(
        String(row.error),
        new RegExp(
          `^APIConnectionError: Connection error\\. \\(.*connection closed before message completed\\); ` +
            `2 attempt\\(s\\) may have been billed with no answer \\(2 ${LOST}\\): each booked at its worst case$`,
        ),
      );
      assertEquals(roomy.openReservations(), 0);
    } finally {
      roomy.close();
    }
    assertEquals(sim.requests, 2);

    // Room for one worst case and half of another: the retry after the reset is refused, unsent.
    const tight = openLedger(await tempDir(), caps({ perWorkflowUsd: (WORST * 1.5) / 1e9 }));
    try {
      const refused = await assertRejects(
        () => callClaude(deps(tight, server.url, 2), simpleCall()),
        CostCapError,
      );
      assertEquals([refused.breach.cap, refused.breach.requestNano], ["perWorkflowUsd", WORST]);
      assertEquals(sim.requests, 3, "the retry was never sent");
      const [row] = rows(tight);
      assertEquals([row.status, row.attempts, row.cost_nano_usd, row.reserved_nano_usd], [
        "api_error",
        1,
        WORST,
        WORST,
      ]);
      assert(String(row.error).startsWith("CostCapError: "), String(row.error));
      assert(
        String(row.error).endsWith(
          `; 1 attempt(s) may have been billed with no answer (1 ${LOST}): each booked at its worst case`,
        ),
        String(row.error),
      );
      assertEquals(tight.openReservations(), 0);
      assert(recordedNano(tight) <= usdToNano((WORST * 1.5) / 1e9));
    } finally {
      tight.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("usage over the reservation is booked as reported, noted on the row, and counted by doctor", async () => {
  // A broken proxy's answer: more output than max_tokens allows, which the real API never sends.
  const usage = {
    input_tokens: 100,
    output_tokens: 5000,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: (req, n) => n === 1 ? okReply(req) : okReply(req, { usage }),
  });
  const dir = await tempDir();
  let now = Date.parse("2026-11-24T10:00:00Z");
  const ledger = openLedger(dir, caps(), () => now++);
  const call = simpleCall({ maxTokens: 2048 });
  const prices = new PriceBook();
  const worst = worstCaseNano(buildRequest(call), prices.require("claude-opus-4-7"));
  let latest: string;
  try {
    for (let i = 0; i < 3; i++) await callClaude(deps(ledger, api.url, 0), call);
    const [first, fits, last] = rows(ledger);
    latest = last.id as string;
    // 100 × $5 + 5000 × $25 per MTok: above the worst case, and booked in full.
    const note =
      `usage over the reservation: output_tokens 5000 > max_tokens 2048, $0.125500000 > ${usd9(worst)} ` +
      "reserved; booked as reported";
    for (const row of [first, last]) {
      assertEquals([row.status, row.cost_nano_usd, row.reserved_nano_usd, row.error], [
        "ok",
        125_500_000,
        worst,
        note,
      ]);
    }
    assert(worst < 125_500_000);
    assertEquals(fits.error, null);
    assert((fits.cost_nano_usd as number) <= worst);
    const billed = api.billed.reduce(
      (n, b) => n + costNano(normalizeUsage(b.usage, "5m"), prices.require(b.model)),
      0,
    );
    assertEquals(recordedNano(ledger), billed, "the ledger holds exactly what the server billed");
    // What doctor and report read: the rows above their reservation, all or since a time.
    const latestCall = {
      id: latest,
      agentId: "writer",
      workflowId: "wf-1",
      model: "claude-opus-4-7",
      ts: last.ts,
      costNano: 125_500_000,
      reservedNano: worst,
    };
    assertEquals(overReservation(rawDb(ledger)), { count: 2, latest: latestCall });
    assertEquals(overReservation(rawDb(ledger), { since: fits.ts as number }), {
      count: 1,
      latest: latestCall,
    });
    assertEquals(overReservation(rawDb(ledger), { since: (last.ts as number) + 1 }), { count: 0 });
  } finally {
    ledger.close();
    await api.close();
  }
  const doctor = await runPressroom(dir, ["doctor", "--data", dir]);
  assertEquals(doctor.out.split("\n").filter((line) => line.startsWith("warn  ledger:")), [
    `warn  ledger: 2 call(s) booked above their reservation, which can pass a cap: the response reported more ` +
    `usage than its request allows (a proxy in between?); latest ${latest} by writer on claude-opus-4-7`,
  ]);
});
