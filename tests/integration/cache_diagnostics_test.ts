/**
 * Cache diagnostics through the chokepoint: each call asks about the agent's previous response, the
 * ledger keeps the response's id, its TTLs and what the API said, and `report` shows a model swap's cold
 * write with its cost and the reason the API gave.
 */
import { assert, assertEquals } from "../assert.ts";
import { callClaude } from "../../src/claude/call_claude.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { ReportQueries } from "../../src/report/queries.ts";
import { buildReport } from "../../src/report/report.ts";
import { caps, openLedger, rawDb, simpleCall, tempDir } from "../helpers.ts";
import { simClient } from "../sim/harness.ts";

const LONG = "The house style, with examples. ".repeat(500);

Deno.test("a model swap: the API's diagnostics say model_changed, the ledger keeps it, report shows the cold write's cost", async () => {
  const ledger = openLedger(
    await tempDir(),
    caps({ dailyUsd: 100, perModelDailyUsd: {}, perWorkflowUsd: 100 }),
  );
  const deps = {
    ledger,
    prices: new PriceBook(),
    client: simClient(createSimulator({ quirks: false })),
    backend: "sim" as const,
  };
  const call = (model: string, workflowId: string) =>
    callClaude(deps, {
      ...simpleCall({
        model,
        workflowId,
        turn: 1,
        stable: [LONG, "You are the writer."],
        volatile: `Workflow ${workflowId}.`,
      }),
      cacheTtl: { stable: ["1h", "1h"], turns: "5m" },
      previousMessageId: ledger.lastMessageId("writer", "sim"),
    });
  const first = await call("claude-sonnet-4-6", "wf-1");
  const second = await call("claude-sonnet-4-6", "wf-2");
  const swapped = await call("claude-opus-4-7", "wf-3");
  assert(second.usage.cacheReadTokens > 0);
  assertEquals(swapped.usage.cacheReadTokens, 0);

  const rows = rawDb(ledger).prepare(
    "SELECT message_id, cache_ttls, cache_miss_reason, cache_missed_tokens FROM ai_call_log ORDER BY ts, id",
  ).all() as {
    message_id: string;
    cache_ttls: string;
    cache_miss_reason: string | null;
    cache_missed_tokens: number | null;
  }[];
  assertEquals(rows.map((r) => r.message_id), [first.message.id, second.message.id, swapped.message.id]);
  assertEquals(rows.map((r) => r.cache_ttls), ["1h 1h 5m", "1h 1h 5m", "1h 1h 5m"]);
  // The second differs from the first in its new workflow's volatile block; the third first in its model.
  assertEquals(rows.map((r) => r.cache_miss_reason), [null, "messages_changed", "model_changed"]);
  assert(rows[2].cache_missed_tokens! > 3_000, `${rows[2].cache_missed_tokens}`);

  const [report] = buildReport(new ReportQueries(rawDb(ledger)), {
    since: 0,
    prices: deps.prices,
    caps: caps(),
  });
  const [swap] = report.cache.coldWritesAfterSwap;
  assertEquals([swap.from, swap.to, swap.reason], ["claude-sonnet-4-6", "claude-opus-4-7", "model_changed"]);
  // Opus 4.7 writes at $10 per MTok for 1h.
  assertEquals(swap.writeUsd, swapped.usage.cacheWrite1hTokens * 10 / 1e6);
  assertEquals(report.cache.misses.map((m) => [m.model, m.reason, m.calls]), [[
    "claude-opus-4-7",
    "model_changed",
    1,
  ]]);
  ledger.close();
});
