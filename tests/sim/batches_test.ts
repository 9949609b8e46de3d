/**
 * The simulated model's Message Batches API through the real SDK: create, retrieve, list, cancel and
 * results on a fake clock, with batch prices, per-request errors, cancel and expiry.
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertRejects } from "../assert.ts";
import Anthropic from "@anthropic-ai/sdk";
import { customIdOf } from "../../src/claude/batch_ids.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { BATCH_EXPIRY_MS, type BatchPlan } from "../../src/sim/batches.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { SHARED_STABLE, simClient } from "./harness.ts";

const MINUTE = 60_000;
const SONNET = "claude-sonnet-4-6";

function setup(batches: BatchPlan = {}) {
  const clock = { ms: Date.UTC(2026, 11, 7, 9) };
  const sim = createSimulator({ seed: 3, now: () => clock.ms, batches, quirks: false });
  return { clock, sim, client: simClient(sim) };
}

/** A writer's first turn: a cached stable block, then the request. */
function params(topic: string, extra: Record<string, unknown> = {}): any {
  return {
    model: SONNET,
    max_tokens: 1024,
    system: [{ type: "text", text: SHARED_STABLE, cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: `Write about ${topic}.` }],
    ...extra,
  };
}

const id = (n: number, agent = "writer") =>
  customIdOf({
    agent,
    workflow: `01KWF${String(n).padStart(21, "0")}`,
    reservation: `01KRS${String(n).padStart(21, "0")}`,
  });

async function resultsOf(client: Anthropic, batchId: string): Promise<any[]> {
  const out: any[] = [];
  for await (const line of await client.messages.batches.results(batchId)) out.push(line);
  return out;
}

Deno.test("batches: a batch ends after its processing time, each request answered at batch prices, results in an order of their own", async () => {
  const { clock, client } = setup({ processingMs: 40 * MINUTE });
  const requests = [1, 2, 3, 4, 5].map((n) => ({ custom_id: id(n), params: params(`topic ${n}`) }));
  const created = await client.messages.batches.create({ requests });
  assertEquals([created.processing_status, created.request_counts.processing, created.results_url], [
    "in_progress",
    5,
    null,
  ]);
  clock.ms += 39 * MINUTE;
  assertEquals((await client.messages.batches.retrieve(created.id)).processing_status, "in_progress");
  await assertRejects(() => resultsOf(client, created.id), Error);
  clock.ms += MINUTE;
  const ended = await client.messages.batches.retrieve(created.id);
  assertEquals([ended.processing_status, ended.request_counts.succeeded, ended.ended_at], [
    "ended",
    5,
    new Date(clock.ms).toISOString(),
  ]);
  const results = await resultsOf(client, created.id);
  assertEquals(results.map((r) => r.custom_id).sort(), requests.map((r) => r.custom_id).sort());
  assert(
    results.map((r) => r.custom_id).join() !== requests.map((r) => r.custom_id).join(),
    "not in request order",
  );
  for (const r of results) {
    assertEquals([r.result.type, r.result.message.usage.service_tier], ["succeeded", "batch"]);
    // The role comes from the custom_id: a writer shown nothing of its workflow reads it first.
    const calls = r.result.message.content.filter((b: any) => b.type === "tool_use").map((b: any) => b.name);
    assertEquals(calls, ["get_brief", "get_draft"]);
  }

  // Billed at half the standard price: the ledger prices it from usage.service_tier.
  const usage = results.find((r) => r.custom_id === id(1)).result.message.usage;
  const model = new PriceBook().lookup(SONNET)!;
  const standard = costNano(normalizeUsage({ ...usage, service_tier: "standard" }, "5m"), model);
  const batch = costNano(normalizeUsage(usage, "5m"), model);
  assert(standard > 0 && Math.abs(standard - 2 * batch) <= 1, `${standard} against ${batch}`);
});

Deno.test("batches: listed newest first, a page at a time", async () => {
  const { client } = setup();
  const made: string[] = [];
  for (let n = 1; n <= 5; n++) {
    made.push(
      (await client.messages.batches.create({ requests: [{ custom_id: id(n), params: params("x") }] })).id,
    );
  }
  const first = await client.messages.batches.list({ limit: 2 });
  assertEquals(first.data.map((b) => b.id), [made[4], made[3]]);
  const all: string[] = [];
  for await (const b of client.messages.batches.list({ limit: 2 })) all.push(b.id);
  assertEquals(all, [...made].reverse());
});

Deno.test("batches: canceled before it ends, its requests are canceled and not answered", async () => {
  const { clock, client } = setup({ processingMs: 60 * MINUTE });
  const batch = await client.messages.batches.create({
    requests: [1, 2].map((n) => ({ custom_id: id(n), params: params("x") })),
  });
  clock.ms += 10 * MINUTE;
  const canceled = await client.messages.batches.cancel(batch.id);
  assertEquals([canceled.processing_status, canceled.request_counts.canceled], ["ended", 2]);
  assert(canceled.cancel_initiated_at);
  assertEquals((await resultsOf(client, batch.id)).map((r) => r.result.type), ["canceled", "canceled"]);
});

Deno.test("batches: one not ended 24 hours after it was created has its requests expired", async () => {
  const { clock, client } = setup({ processingMs: 30 * 60 * MINUTE });
  const batch = await client.messages.batches.create({
    requests: [{ custom_id: id(1), params: params("x") }],
  });
  assertEquals(batch.expires_at, new Date(clock.ms + BATCH_EXPIRY_MS).toISOString());
  clock.ms += BATCH_EXPIRY_MS - MINUTE;
  assertEquals((await client.messages.batches.retrieve(batch.id)).processing_status, "in_progress");
  clock.ms += 2 * MINUTE;
  const expired = await client.messages.batches.retrieve(batch.id);
  assertEquals([expired.processing_status, expired.request_counts.expired], ["ended", 1]);
  assertEquals((await resultsOf(client, batch.id))[0].result, { type: "expired" });
});

Deno.test("batches: an invalid request errors as the API refuses it; at the error rate a valid one errors as overloaded or a server error", async () => {
  const { client } = setup();
  const batch = await client.messages.batches.create({
    requests: [
      { custom_id: id(1), params: params("x", { model: "claude-nonexistent-1" }) },
      { custom_id: id(2), params: params("x", { max_tokens: 0 }) },
      { custom_id: id(3), params: params("x") },
    ],
  });
  const byId = Object.fromEntries((await resultsOf(client, batch.id)).map((r) => [r.custom_id, r.result]));
  assertEquals(byId[id(1)].type, "errored");
  assertEquals(byId[id(2)].error.error.type, "invalid_request_error");
  assertEquals(byId[id(3)].type, "succeeded");

  const failing = setup({ errorRate: 1 }).client;
  const failed = await failing.messages.batches.create({
    requests: [{ custom_id: id(1), params: params("x") }],
  });
  const [only] = await resultsOf(failing, failed.id);
  assert(["overloaded_error", "api_error"].includes(only.result.error.error.type), JSON.stringify(only));
});

Deno.test("batches: custom_ids must match the API's pattern and be unique within the batch", async () => {
  const { client } = setup();
  for (
    const requests of [
      [{ custom_id: "has space", params: params("x") }],
      [{ custom_id: id(1), params: params("x") }, { custom_id: id(1), params: params("y") }],
      [],
    ]
  ) {
    await assertRejects(() => client.messages.batches.create({ requests }), Anthropic.BadRequestError);
  }
  assertEquals([...(await client.messages.batches.list()).data], []);
});

Deno.test("batches: cache hits inside a batch are best effort: at a cache rate of 0 nothing is read, though it is written", async () => {
  const always = setup({ cacheRate: 1 });
  const never = setup({ cacheRate: 0 });
  for (const { client } of [always, never]) {
    const batch = await client.messages.batches.create({
      requests: [1, 2, 3].map((n) => ({ custom_id: id(n), params: params(`topic ${n}`) })),
    });
    const reads = (await resultsOf(client, batch.id)).map((r) =>
      r.result.message.usage.cache_read_input_tokens
    );
    const anyRead = reads.some((n: number) => n > 0);
    assertEquals(anyRead, client === always.client);
  }
});
