/**
 * Long outputs are streamed: a call whose max_tokens could outlast a non-streaming request (which the
 * SDK's timeout would cut, then retry, each attempt booked at its worst case) goes out with
 * `stream: true`, and books, reserves and records exactly as one without streaming.
 */
// deno-lint-ignore-file no-explicit-any
import Anthropic from "@anthropic-ai/sdk";
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { callClaude, STREAM_ABOVE_MAX_TOKENS } from "../../src/claude/call_claude.ts";
import { createClient } from "../../src/claude/client.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { caps, openLedger, rawDb, simpleCall, tempDir, TEST_KEY } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import { startHarness } from "../e2e/harness.ts";

/** callClaude against a fresh simulator (same seed each time), with the bodies it was sent. */
async function callOn(maxTokens: number, faults?: "malformed_body") {
  const sent: any[] = [];
  const sim = createSimulator({ seed: 4, quirks: false, faults: faults && { script: () => faults } });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    sent.push(await request.clone().json());
    return await sim.handle(request);
  };
  const ledger = openLedger(await tempDir(), caps({ perWorkflowUsd: 100 }));
  const deps = {
    ledger,
    prices: new PriceBook(),
    client: createClient({ apiKey: TEST_KEY, baseURL: "http://sim.invalid", fetch, maxRetries: 0 }),
    backend: "anthropic" as const,
  };
  const call = simpleCall({ agentId: "intake", maxTokens, model: "claude-opus-4-7" });
  try {
    const result = await callClaude(deps, call).catch((error) => error as Error);
    const row = rawDb(ledger).prepare(
      "SELECT status, cost_nano_usd AS cost, reserved_nano_usd AS reserved, output_tokens, error FROM ai_call_log",
    ).get() as any;
    return { result, row: { ...row }, sent };
  } finally {
    ledger.close();
  }
}

Deno.test("a call whose max_tokens could outlast a non-streaming request is streamed, and booked the same", async () => {
  assertEquals(STREAM_ABOVE_MAX_TOKENS, 21_333);
  const plain = await callOn(STREAM_ABOVE_MAX_TOKENS);
  const streamed = await callOn(STREAM_ABOVE_MAX_TOKENS + 1);
  assertEquals([plain.sent[0].stream, streamed.sent[0].stream], [undefined, true]);
  const [a, b] = [plain.result as any, streamed.result as any];
  assertEquals(b.message.content, a.message.content, "the events assemble into the same content");
  assertEquals([b.message.stop_reason, b.usage, b.costNano], [a.message.stop_reason, a.usage, a.costNano]);
  assertEquals(streamed.row.status, "ok");
  assertEquals(streamed.row.cost, a.costNano);
  assert(streamed.row.cost < streamed.row.reserved);
});

Deno.test("a stream cut after it began was answered and billed: booked at its worst case, never zero", async () => {
  const cut = await callOn(32_000, "malformed_body");
  assert(cut.result instanceof Error);
  assertEquals(cut.sent[0].stream, true);
  assertEquals(cut.row.status, "api_error");
  assertEquals(cut.row.cost, cut.row.reserved);
  assertMatch(cut.row.error, /the API answered 2xx but the body could not be read: booked at its worst case/);
});

Deno.test("a writer with a 32,000-token max_tokens streams every call and publishes", async () => {
  const h = await startHarness({
    script: (agent) =>
      agent === "editor" ? { calls: [{ name: "promote_to_published", input: {} }] } : undefined,
    config: { agents: { writer: { maxTokens: 32_000, maxTokensCeiling: 64_000 } } },
  });
  try {
    const wf = h.deps.store.create({ topic: "Streams" }, DEFAULT_MODELS);
    await h.run();
    assertEquals(h.deps.store.get(wf.id).status, "published", h.deps.store.get(wf.id).reason ?? "");
    const writer = h.api.requests.filter((r) => r.headers.get("x-pressroom-agent") === "writer");
    assert(writer.length > 0 && writer.every((r) => r.body.stream === true));
    assert(
      h.api.requests.filter((r) => r.headers.get("x-pressroom-agent") !== "writer").every((r) =>
        !r.body.stream
      ),
    );
    assertEquals(h.api.requests.flatMap((r) => r.problems), []);
  } finally {
    await h.close();
  }
});

Deno.test("a stream the caller aborts is an aborted call, booked at its worst case", async () => {
  const sim = createSimulator({ seed: 4, quirks: false, latencyScale: 1 });
  const ledger = openLedger(await tempDir(), caps({ perWorkflowUsd: 100 }));
  try {
    const deps = {
      ledger,
      prices: new PriceBook(),
      client: createClient({
        apiKey: TEST_KEY,
        baseURL: "http://sim.invalid",
        fetch: sim.fetch,
        maxRetries: 0,
      }),
      backend: "anthropic" as const,
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await assertRejects(
      () =>
        callClaude(
          deps,
          simpleCall({ maxTokens: 32_000, model: "claude-opus-4-7", signal: controller.signal }),
        ),
      Anthropic.APIUserAbortError,
    );
    const row = rawDb(ledger).prepare(
      "SELECT status, cost_nano_usd AS cost, reserved_nano_usd AS reserved FROM ai_call_log",
    )
      .get() as any;
    assertEquals([row.status, row.cost], ["api_error", row.reserved]);
  } finally {
    ledger.close();
  }
});
