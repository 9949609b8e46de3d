/**
 * Agents with `batch` on send their turns through Message Batches: the real SDK against the simulated
 * model's batch API, through the scheduler as `run --once` drives it.
 */
import { assert, assertEquals } from "../assert.ts";
import { rawDb } from "../helpers.ts";
import { runPipeline } from "../sim_pipeline.ts";
import { DEMO_REQUESTS } from "../../src/cli/demo.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { costNano } from "../../src/pricing/cost.ts";

const CAPS = { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 };

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
        const usage = {
          inputTokens: row.input_tokens as number,
          outputTokens: row.output_tokens as number,
          cacheReadTokens: row.cache_read_tokens as number,
          cacheWrite5mTokens: row.cache_write_5m_tokens as number,
          cacheWrite1hTokens: row.cache_write_1h_tokens as number,
          webSearchRequests: row.web_search_requests as number,
          inferenceGeo: row.inference_geo as string | null,
        };
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
});
