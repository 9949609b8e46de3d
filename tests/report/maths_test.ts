/** Report maths against hand-computed cases. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { parseSince, project, sinceLabel, wilson } from "../../src/report/maths.ts";
import { reprice } from "../../src/report/reprice.ts";
import { swapHistory } from "../../src/cli/models.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { UsageError } from "../../src/errors.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";

const close = (a: number, b: number, eps = 1e-4) => assert(Math.abs(a - b) < eps, `${a} is not ${b}`);

Deno.test("Wilson interval: 81 of 100 is 72.2 % to 87.5 %; 0 of 0 says nothing", () => {
  // p = .81, z = 1.96: centre = (.81 + 3.8416/200) / 1.038416 = .798492; margin = 1.96·sqrt((.1539 + .00096)/100) / 1.038416 = .0743
  const w = wilson(81, 100);
  close(w.low, 0.7222, 5e-4);
  close(w.high, 0.8748, 5e-4);
  assertEquals(wilson(0, 0), { low: 0, high: 1 });
  assertEquals(wilson(10, 10).high, 1);
});

Deno.test("--since takes 7d, 24h, 90m or a date, and nothing else", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");
  assertEquals(parseSince("7d", now), Date.parse("2026-11-17T12:00:00Z"));
  assertEquals(parseSince("24h", now), Date.parse("2026-11-23T12:00:00Z"));
  assertEquals(parseSince("90m", now), Date.parse("2026-11-24T10:30:00Z"));
  assertEquals(parseSince("2026-11-01", now), Date.parse("2026-11-01T00:00:00Z"));
  assertThrows(() => parseSince("last week", now), UsageError, '--since: "last week"');
  assertEquals(["7d", "24h", "90m", "2026-11-30"].map(sinceLabel), [
    "last 7d",
    "last 24h",
    "last 90m",
    "since 2026-11-30",
  ]);
});

Deno.test("re-pricing: Opus 4.7 writer calls at Sonnet 4.6 prices, tokens scaled by tokenizer and observed output", () => {
  const prices = new PriceBook();
  const calls = [{
    model: "claude-opus-4-7",
    inputTokens: 1350,
    outputTokens: 2700,
    cacheReadTokens: 13500,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    webSearchRequests: 0,
  }];
  // Tokenizer 1.0 / 1.35: 1350 → 1000 in, 13500 → 10000 read. Observed output: Sonnet 600 vs Opus 1800 per call → × 1/3: 900.
  // Sonnet: 1000 × $3 + 10000 × $0.30 + 900 × $15 per MTok = $0.003 + $0.003 + $0.0135 = $0.0195
  const nano = reprice(calls, {
    prices,
    to: "claude-sonnet-4-6",
    meanOutput: { "claude-opus-4-7": 1800, "claude-sonnet-4-6": 600 },
  });
  assertEquals(nano, 19_500_000);
  // Without data for both models, output follows the tokenizer: 2700 → 2000: $0.003 + $0.003 + $0.03 = $0.036
  assertEquals(reprice(calls, { prices, to: "claude-sonnet-4-6", meanOutput: {} }), 36_000_000);
  // Calls that ran in the US keep its 1.1x premium on the new model (Sonnet 4.6 bills it).
  const us = calls.map((c) => ({ ...c, inferenceGeo: "us" }));
  assertEquals(reprice(us, { prices, to: "claude-sonnet-4-6", meanOutput: {} }), 39_600_000);
  // An agent that batches pays half of every token price.
  assertEquals(reprice(calls, { prices, to: "claude-sonnet-4-6", meanOutput: {}, batch: true }), 18_000_000);
});

Deno.test("projection: the field report's writer flip nearly busts a $20 cap at pool 4 and fits at pool 2", () => {
  const caps = [
    { name: "dailyUsd", limitNano: 20e9, matches: () => true },
    {
      name: 'perModelDailyUsd["claude-opus-*"]',
      limitNano: 12e9,
      matches: (m: string) => m.startsWith("claude-opus-"),
    },
  ];
  // Over 7 days: the writer spent $35 on Sonnet and would spend $126 on Opus; others $56 on Opus and $21 on Sonnet.
  const week = {
    days: 7,
    agentNowNano: 35e9,
    agentThenNano: 126e9,
    othersByModel: { "claude-opus-4-7": 56e9, "claude-sonnet-4-6": 21e9 },
    currentModel: "claude-sonnet-4-6",
    newModel: "claude-opus-4-7",
    pool: 4,
  };
  const p = project({ ...week, caps });
  // Per day: writer $18 on Opus, others $8 Opus + $3 Sonnet. Daily: 18 + 11 = $29 > $20 (over by $9);
  // Opus: 18 + 8 = $26 > $12 (over by $14). Pool 2 halves the writer: daily $20 (fits exactly), Opus $17 (over).
  // Pool 1: writer $4.50; daily $15.50, Opus $12.50 > $12: still over. No pool fits.
  assertEquals([p.agentDailyNowNano, p.agentDailyNano, p.dailyNano], [5e9, 18e9, 29e9]);
  assertEquals(p.caps.map((c) => [c.cap, c.projectedDailyNano, c.overNano, c.fits]), [
    ["dailyUsd", 29e9, 9e9, false],
    ['perModelDailyUsd["claude-opus-*"]', 26e9, 14e9, false],
  ]);
  assertEquals(p.poolThatFits, null);
  // With a $15 Opus cap, pool 2 fits: 9 + 8 = $17 > 15 no; pool 1: 4.5 + 8 = 12.5 ≤ 15 and daily 15.5 ≤ 20.
  const looser = project({ ...week, caps: [caps[0], { ...caps[1], limitNano: 15e9 }] });
  assertEquals([looser.fits, looser.poolThatFits], [false, 1]);
});

Deno.test("swap history follows the models new workflows were pinned to", () => {
  const t = (h: number) => Date.parse("2026-11-20T00:00:00Z") + h * 3_600_000;
  const swaps = swapHistory([
    { id: "A", created: t(0), models: DEFAULT_MODELS },
    { id: "B", created: t(5), models: { ...DEFAULT_MODELS, editor: "claude-opus-4-7" } },
    { id: "C", created: t(9), models: { ...DEFAULT_MODELS, editor: "claude-opus-4-7" } },
    { id: "D", created: t(30), models: DEFAULT_MODELS },
  ]);
  assertEquals(swaps.map((s) => [s.agent, s.from, s.to, s.workflow]), [
    ["editor", "claude-sonnet-4-6", "claude-opus-4-7", "B"],
    ["editor", "claude-opus-4-7", "claude-sonnet-4-6", "D"],
  ]);
  assertEquals(swaps[0].at, "2026-11-20T05:00:00.000Z");
});
