/**
 * The report's TTL and cache-miss figures from ledger rows whose answer is worked out by hand at Opus 4.7's
 * rates (nano-USD per token: 5m write 6,250, 1h write 10,000, read 500).
 */
import { assertEquals } from "../assert.ts";
import { missFigures, ttlFigures } from "../../src/report/cache_ttls.ts";
import type { CallRow } from "../../src/report/queries.ts";
import { PriceBook } from "../../src/models/price_book.ts";

const prices = new PriceBook();
const MIN = 60_000;

function row(overrides: Partial<CallRow>): CallRow {
  return {
    agent: "writer",
    workflowId: "w1",
    model: "claude-opus-4-7",
    inputTokens: 100,
    outputTokens: 50,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costNano: 0,
    ts: 0,
    batch: 0,
    webSearchRequests: 0,
    turn: 1,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheTtls: "1h 1h 5m",
    cacheMissReason: null,
    cacheMissedTokens: null,
    ...overrides,
  };
}

Deno.test("three first turns 15 minutes apart under 1h: re-priced against fixed 5m, the choice saved $0.0775", () => {
  const calls = [
    row({ ts: 0, workflowId: "w1", cacheWrite1hTokens: 10_000 }),
    row({ ts: 15 * MIN, workflowId: "w2", cacheReadTokens: 10_000 }),
    row({ ts: 30 * MIN, workflowId: "w3", cacheReadTokens: 10_000 }),
  ];
  const [writer] = ttlFigures(calls, prices);
  // 10,000 tokens: one 1h write and two reads = 110,000,000 nano; fixed 5m writes three times = 187,500,000.
  assertEquals(writer, {
    agent: "writer",
    model: "claude-opus-4-7",
    ttls: [{ ttls: "1h 1h 5m", calls: 3 }],
    cacheUsd: 0.11,
    chosenUsd: 0.11,
    fixed5mUsd: 0.1875,
    fixed1hUsd: 0.11,
    savedVs5mUsd: 0.0775,
    savedVs1hUsd: 0,
  });
});

Deno.test("a stage's turns seconds apart under 5m: fixed 1h would have paid 0.75 more per written token", () => {
  const calls = [
    row({ ts: 0, cacheWrite5mTokens: 4_000, cacheTtls: "5m 5m 5m" }),
    // Turn 2 reads the stable 4,000 and writes 1,000 of conversation; turn 3 reads 5,000 and writes 1,000.
    row({ ts: 10_000, turn: 2, cacheReadTokens: 4_000, cacheWrite5mTokens: 1_000, cacheTtls: "5m 5m 5m" }),
    row({ ts: 20_000, turn: 3, cacheReadTokens: 5_000, cacheWrite5mTokens: 1_000, cacheTtls: "5m 5m 5m" }),
  ];
  const [writer] = ttlFigures(calls, prices);
  // Stable: one write, two reads, of 4,000; conversation: 1,000 written, then 1,000 read and 1,000 written.
  const chosen = 4_000 * (6_250 + 500 + 500) + 1_000 * 6_250 + (1_000 * 500 + 1_000 * 6_250);
  const oneHour = 4_000 * (10_000 + 500 + 500) + 1_000 * 10_000 + (1_000 * 500 + 1_000 * 10_000);
  assertEquals([writer.chosenUsd, writer.fixed5mUsd, writer.fixed1hUsd], [
    chosen / 1e9,
    chosen / 1e9,
    oneHour / 1e9,
  ]);
  assertEquals(writer.savedVs1hUsd, (oneHour - chosen) / 1e9);
});

Deno.test("a first turn that read only part of its stable prefix tells the shared prefix's size, shown on its own row", () => {
  const calls = [
    row({ ts: 0, agent: "planner", cacheWrite1hTokens: 5_000 }),
    row({
      ts: 20 * MIN,
      agent: "writer",
      workflowId: "w2",
      cacheReadTokens: 3_000,
      cacheWrite1hTokens: 2_000,
    }),
    row({ ts: 40 * MIN, agent: "writer", workflowId: "w3", cacheReadTokens: 5_000 }),
  ];
  const figures = ttlFigures(calls, prices);
  assertEquals(figures.map((f) => [f.agent, f.ttls[0].ttls]), [
    ["(shared prefix)", "1h"],
    ["planner", "1h 5m"],
    ["writer", "1h 5m"],
  ]);
  // The shared 3,000 tokens: written once and read twice under 1h; written three times under 5m.
  assertEquals(figures[0].chosenUsd, 3_000 * (10_000 + 2 * 500) / 1e9);
  assertEquals(figures[0].fixed5mUsd, 3_000 * 3 * 6_250 / 1e9);
});

Deno.test("misses by reason: a canary arm's first turn after the other arm's model is no miss", () => {
  const calls = [
    row({ workflowId: "w1", turn: 1, cacheMissReason: "model_changed", cacheMissedTokens: 9_000 }),
    row({ workflowId: "w2", turn: 1, cacheMissReason: "model_changed", cacheMissedTokens: 9_000 }),
  ];
  const arms = new Set(["w1\u0000writer"]);
  assertEquals(missFigures(calls, prices, arms).map((m) => [m.reason, m.calls]), [["model_changed", 1]]);
});

Deno.test("misses by reason: a model swap's cold write is counted with its cost; a new stage's messages are no miss", () => {
  const calls = [
    row({ turn: 1, cacheMissReason: "messages_changed", cacheMissedTokens: 300 }),
    row({
      turn: 2,
      cacheMissReason: "messages_changed",
      cacheMissedTokens: 2_000,
      cacheWrite5mTokens: 2_000,
    }),
    row({ turn: 1, cacheMissReason: "model_changed", cacheMissedTokens: 9_000, cacheWrite1hTokens: 9_000 }),
  ];
  assertEquals(missFigures(calls, prices), [
    {
      agent: "writer",
      model: "claude-opus-4-7",
      reason: "messages_changed",
      calls: 1,
      missedTokens: 2_000,
      writeUsd: 0.0125,
    },
    {
      agent: "writer",
      model: "claude-opus-4-7",
      reason: "model_changed",
      calls: 1,
      missedTokens: 9_000,
      writeUsd: 0.09,
    },
  ]);
});
