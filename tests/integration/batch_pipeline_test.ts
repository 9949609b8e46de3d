/**
 * Agents with `batch` on send their turns through Message Batches: the real SDK against the simulated
 * model's batch API, through the scheduler as `run --once` drives it.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { rawDb } from "../helpers.ts";
import { runPipeline } from "../sim_pipeline.ts";
import { DEMO_REQUESTS } from "../../src/cli/demo.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { costNano } from "../../src/pricing/cost.ts";
import type { BatchPlan } from "../../src/sim/batches.ts";

const CAPS = { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 };

/** One of the demo's workflows, seeded, with a fixed id. */
const ONE_WORKFLOW = { workflows: 1, seed: 7, topics: [DEMO_REQUESTS[0].topic], fixedIds: true };

type LedgerRow = Record<string, number | string | null>;

/** A ledger row's usage, as costNano takes it (batch left to the caller). */
function usageOf(row: LedgerRow) {
  return {
    inputTokens: row.input_tokens as number,
    outputTokens: row.output_tokens as number,
    cacheReadTokens: row.cache_read_tokens as number,
    cacheWrite5mTokens: row.cache_write_5m_tokens as number,
    cacheWrite1hTokens: row.cache_write_1h_tokens as number,
    webSearchRequests: row.web_search_requests as number,
    inferenceGeo: row.inference_geo as string | null,
  };
}

Deno.test("batch agents' turns go through Message Batches at half price; the workflows publish and nothing is left open", async () => {
  const prices = new PriceBook();
  const r = await runPipeline({
    workflows: 3,
    seed: 7,
    topics: DEMO_REQUESTS.map((d) => d.topic),
    fixedIds: true,
    config: {
      caps: CAPS,
      agents: { writer: { batch: true }, editor: { batch: true } },
      run: { batchPollSeconds: 1 },
    },
    inspect: (ledger) => {
      const db = rawDb(ledger);
      const rows = db.prepare(
        `SELECT agent_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_5m_tokens,
                cache_write_1h_tokens, web_search_requests, inference_geo, cost_nano_usd, reserved_nano_usd, status
         FROM ai_call_log`,
      ).all() as Record<string, number | string | null>[];
      for (const row of rows) {
        const usage = usageOf(row);
        const model = prices.lookup(row.model as string)!;
        const standard = costNano({ ...usage, batch: false }, model);
        const batched = ["writer", "editor"].includes(row.agent_id as string);
        // Batch calls cost half the standard price, the others the full price; none above its reservation.
        const expected = batched ? costNano({ ...usage, batch: true }, model) : standard;
        assertEquals([row.agent_id, row.cost_nano_usd], [row.agent_id, expected]);
        assert((row.cost_nano_usd as number) <= (row.reserved_nano_usd as number));
      }
      const open = db.prepare("SELECT COUNT(*) AS n FROM reservation").get() as { n: number };
      const unsettled = db.prepare("SELECT COUNT(*) AS n FROM batch_request WHERE state != 'settled'")
        .get() as { n: number };
      const batched = db.prepare("SELECT COUNT(*) AS n FROM batch_request").get() as { n: number };
      assertEquals([open.n, unsettled.n, batched.n > 0], [0, 0, true]);
    },
  });
  assert(r.published >= 2, `${r.published} published`);
  // The report: the share of each agent's calls in batches, and what batch prices saved (half the cost
  // at standard prices: as much as was paid, with no web searches).
  for (const a of r.report.agents) {
    const batched = ["writer", "editor"].includes(a.agent);
    assertEquals([a.agent, a.batch.share], [a.agent, batched ? 1 : 0]);
    assert(
      Math.abs(a.batch.savedUsd - (batched ? a.costUsd : 0)) < 1e-6,
      `${a.agent} ${JSON.stringify(a.batch)}`,
    );
  }
});

/** One workflow with the writer batched, under a batch plan; what the ledger and the workflow show after. */
async function writerThroughBatches(batches: BatchPlan) {
  let rows: { status: string; cost_nano_usd: number; error: string | null }[] = [];
  let open = -1;
  const r = await runPipeline({
    ...ONE_WORKFLOW,
    batches,
    config: { caps: CAPS, agents: { writer: { batch: true } }, run: { batchPollSeconds: 1 } },
    inspect: (ledger) => {
      const db = rawDb(ledger);
      rows = db.prepare(
        "SELECT status, cost_nano_usd, error FROM ai_call_log WHERE agent_id = 'writer' ORDER BY id",
      )
        .all() as typeof rows;
      open = (db.prepare("SELECT COUNT(*) AS n FROM reservation").get() as { n: number }).n;
    },
  });
  return { r, rows, open };
}

Deno.test("an expired and a canceled batch are not billed: $0 rows that say so, the turn sent again, the workflow publishes", async () => {
  const ends = ["expired", "canceled"] as const;
  const { r, rows, open } = await writerThroughBatches({ endAs: (i) => ends[i] });
  assertEquals(rows.slice(0, 2).map((x) => [x.status, x.cost_nano_usd, x.error]), [
    ["api_error", 0, "batch request expired: not billed"],
    ["api_error", 0, "batch request canceled: not billed"],
  ]);
  assert(rows.slice(2).some((x) => x.status === "ok" && x.cost_nano_usd > 0));
  assertEquals([r.published, open], [1, 0]);
});

Deno.test("a batch request refused as invalid stops the stage as a 400 would; an overloaded one is sent again", async () => {
  const refused = await writerThroughBatches({ endAs: () => "invalid" });
  assertEquals(refused.rows.map((x) => [x.status, x.cost_nano_usd]), [["api_error", 0]]);
  assertMatch(refused.rows[0].error ?? "", /invalid_request_error/);
  assertEquals([refused.r.published, refused.open], [0, 0]);
  assertEquals(refused.r.report.completions.count, 0);

  const overloaded = await writerThroughBatches({ endAs: (i) => (i === 0 ? "overloaded" : undefined) });
  assertEquals(overloaded.rows[0].error, "batch request errored (overloaded_error): Overloaded; not billed");
  assertEquals([overloaded.r.published, overloaded.open], [1, 0]);
});

Deno.test("a cap that only part of a pass fits: the turns it fits go into the batch, the others wait under the cap", async () => {
  const capNano = 450_000_000;
  let batched = 0;
  let refused = 0;
  let spentAndHeld = 0;
  await runPipeline({
    workflows: 3,
    seed: 7,
    topics: DEMO_REQUESTS.map((d) => d.topic),
    fixedIds: true,
    config: {
      caps: { dailyUsd: capNano / 1e9, perModelDailyUsd: {}, perWorkflowUsd: 5 },
      // The cap is sized to a writer turn's worst case at the 5m write rate (auto would give a batch 1h).
      agents: { writer: { batch: true, cacheTtl: "5m" } },
      run: { batchPollSeconds: 1, onceWaitSeconds: 0 },
    },
    inspect: (ledger) => {
      const db = rawDb(ledger);
      const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      batched = one("SELECT COUNT(DISTINCT workflow_instance_id) AS n FROM batch_request");
      refused = one("SELECT COUNT(*) AS n FROM cap_refusal WHERE agent_id = 'writer' AND cap = 'dailyUsd'");
      spentAndHeld = one(
        "SELECT (SELECT COALESCE(SUM(cost_nano_usd), 0) FROM ai_call_log) + (SELECT COALESCE(SUM(cost_nano_usd), 0) FROM reservation) AS n",
      );
    },
  });
  assert(batched >= 1 && batched < 3, `${batched} workflows' writer turns batched`);
  assert(refused >= 1, "a writer turn the cap did not fit was refused");
  assert(spentAndHeld <= capNano, `${spentAndHeld} nano recorded and held against a cap of ${capNano}`);
});

Deno.test("the live API's odd replies come back through batches too: a cut-off tool call, an empty reply, US inference and a refusal", async () => {
  const prices = new PriceBook();
  // The writer's first batch reply runs long and is cut inside its tool call, its second is empty, its
  // third is billed for US inference; after that it answers plainly.
  let writerCalls = 0;
  const odd = [["long_turn"], ["empty_reply"], ["us_inference"]] as const;
  let rows: Record<string, number | string | null>[] = [];
  let open = -1;
  const r = await runPipeline({
    ...ONE_WORKFLOW,
    quirks: { scale: 0, script: (_, agent) => (agent === "writer" ? odd[writerCalls++] : undefined) },
    config: {
      caps: CAPS,
      agents: { writer: { batch: true, maxTokens: 2048 } },
      run: { batchPollSeconds: 1 },
    },
    inspect: (ledger) => {
      const db = rawDb(ledger);
      rows = db.prepare(
        `SELECT stop_reason, inference_geo, batch, cost_nano_usd, input_tokens, output_tokens, cache_read_tokens,
                cache_write_5m_tokens, cache_write_1h_tokens, web_search_requests, model
         FROM ai_call_log WHERE agent_id = 'writer' ORDER BY id`,
      ).all() as typeof rows;
      open = (db.prepare("SELECT COUNT(*) AS n FROM reservation").get() as { n: number }).n;
    },
  });
  // Cut at max_tokens (sent again with more), then empty (nudged), then billed in the US at its premium.
  assertEquals(rows.slice(0, 3).map((x) => [x.stop_reason, x.inference_geo, x.batch]), [
    ["max_tokens", "global", 1],
    ["end_turn", "global", 1],
    ["tool_use", "us", 1],
  ]);
  const us = rows[2];
  assertEquals(
    us.cost_nano_usd,
    costNano({ ...usageOf(us), batch: true }, prices.lookup(us.model as string)!),
  );
  assertEquals([r.published, open], [1, 0]);

  // A refusal inside a batch stops the stage as a synchronous one does, with nothing left open.
  let refusedOpen = -1;
  let stuck: { status: string; reason: string } | undefined;
  const refused = await runPipeline({
    ...ONE_WORKFLOW,
    quirks: { scale: 0, script: (_, agent) => (agent === "writer" ? "refusal" : undefined) },
    config: { caps: CAPS, agents: { writer: { batch: true } }, run: { batchPollSeconds: 1 } },
    inspect: (ledger) => {
      refusedOpen = (rawDb(ledger).prepare("SELECT COUNT(*) AS n FROM reservation").get() as { n: number }).n;
      stuck = rawDb(ledger).prepare("SELECT status, reason FROM workflow").get() as typeof stuck;
    },
  });
  assertEquals([refused.published, refusedOpen], [0, 0]);
  assertEquals(stuck?.status, "stuck");
  assertMatch(stuck?.reason ?? "", /refus/);
});
