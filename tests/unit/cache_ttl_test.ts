/**
 * The TTL choice: the replayed cost of a prefix's traffic under 5m and 1h, the break-even worked out by
 * hand at Opus 4.7's rates ($5 in, $6.25 5m write, $10 1h write, $0.50 read per MTok), the API's ordering
 * rule, the schedule rule, and how the ledger's calls become each prefix's traffic.
 */
import { assertEquals, assertThrows } from "../assert.ts";
import {
  chooseTtls,
  gapCounts,
  orderly,
  type PrefixTraffic,
  replayCost,
} from "../../src/pricing/cache_ttl.ts";
import { MIN_GAPS, scheduleTtls, segmentsOf } from "../../src/pipeline/cache_ttl_policy.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { buildRequest } from "../../src/claude/request.ts";
import type { CallTime } from "../../src/ledger/ledger.ts";

const rates = new PriceBook().require("claude-opus-4-7").rates;
const MIN = 60_000;
const every = (gapMs: number, calls: number, from = 0) =>
  Array.from({ length: calls }, (_, i) => from + i * gapMs);
const traffic = (runs: number[][], size = 1): PrefixTraffic => ({ runs, size });

Deno.test("gaps sort into reads under both TTLs, 5m rewrites, and writes under both", () => {
  const times = [0, 4 * MIN, 14 * MIN, 2 * 60 * MIN, 2 * 60 * MIN + 59 * MIN];
  assertEquals(gapCounts([times]), { starts: 2, medium: 2, short: 1 });
  // An entry is gone at the instant its TTL ends: a gap of exactly 5 minutes rewrites a 5m entry.
  assertEquals(gapCounts([[0, 5 * MIN, 65 * MIN]]), { starts: 2, medium: 1, short: 0 });
});

Deno.test("k calls 5 to 60 minutes apart: 1h costs 2 + (k-1)r against 5m's 1.25k, from the second call on", () => {
  // Per token in nano-USD: 1h write 10,000, 5m write 6,250, read 500.
  const one = gapCounts([every(15 * MIN, 1)]);
  assertEquals([replayCost(one, "5m", rates), replayCost(one, "1h", rates)], [6_250, 10_000]);
  const two = gapCounts([every(15 * MIN, 2)]);
  assertEquals([replayCost(two, "5m", rates), replayCost(two, "1h", rates)], [12_500, 10_500]);
  const six = gapCounts([every(15 * MIN, 6)]);
  assertEquals([replayCost(six, "5m", rates), replayCost(six, "1h", rates)], [37_500, 12_500]);
});

Deno.test("calls seconds apart keep 5m, calls minutes apart take 1h, hours apart go back to 5m", () => {
  const segments = (gapMs: number) =>
    [traffic([every(gapMs, 10)]), traffic([every(gapMs, 10)]), traffic([every(gapMs, 10)])] as [
      PrefixTraffic,
      PrefixTraffic,
      PrefixTraffic,
    ];
  assertEquals(chooseTtls(segments(20_000), rates), { stable: ["5m", "5m"], turns: "5m" });
  assertEquals(chooseTtls(segments(15 * MIN), rates), { stable: ["1h", "1h"], turns: "1h" });
  assertEquals(chooseTtls(segments(3 * 60 * MIN), rates), { stable: ["5m", "5m"], turns: "5m" });
});

Deno.test("stable prefixes read every 15 minutes take 1h while the stage's turns, seconds apart, keep 5m", () => {
  const wakes = every(15 * MIN, 12);
  const stages = wakes.map((t) => every(8_000, 5, t + 1_000));
  const chosen = chooseTtls([traffic([wakes], 3000), traffic([wakes], 2000), traffic(stages, 4000)], rates);
  assertEquals(chosen, { stable: ["1h", "1h"], turns: "5m" });
});

Deno.test("an agent prefix that wants 1h behind a shared prefix that wants 5m: the cheaper orderly choice", () => {
  const busy = every(30_000, 200); // the model's calls: one every 30 seconds
  const agent = every(20 * MIN, 12); // this agent's: every 20 minutes
  // A large agent block pays for promoting the shared prefix to 1h ...
  assertEquals(chooseTtls([traffic([busy], 100), traffic([agent], 5000), traffic([], 1)], rates).stable, [
    "1h",
    "1h",
  ]);
  // ... a small one does not: 1h after a 5m shared prefix is not an option.
  assertEquals(chooseTtls([traffic([busy], 5000), traffic([agent], 10), traffic([], 1)], rates).stable, [
    "5m",
    "5m",
  ]);
  assertEquals([orderly(["1h", "5m", "5m"]), orderly(["5m", "1h", "5m"]), orderly(["1h", "1h", "1h"])], [
    true,
    false,
    true,
  ]);
});

Deno.test("the request refuses TTLs that put 1h after 5m, as the API would, and marks each breakpoint with its own", () => {
  const spec = {
    model: "claude-opus-4-7",
    maxTokens: 100,
    stable: ["shared", "agent"],
    volatile: "state",
    turns: [{ role: "assistant" as const, content: "a" }, { role: "user" as const, content: "b" }],
  };
  assertThrows(
    () => buildRequest({ ...spec, cacheTtl: { stable: ["5m", "1h"], turns: "5m" } }),
    Error,
    "1h breakpoint after a 5m one",
  );
  const params = buildRequest({ ...spec, cacheTtl: { stable: ["1h", "1h"], turns: "5m" } });
  const system = params.system as { cache_control: { ttl: string } }[];
  assertEquals(system.map((b) => b.cache_control.ttl), ["1h", "1h"]);
  const last = params.messages.at(-1)!.content as { cache_control?: { ttl: string } }[];
  assertEquals(last.at(-1)?.cache_control?.ttl, "5m");
});

Deno.test("cache diagnostics go out only when asked for, with null on the first call", () => {
  const spec = { model: "m", maxTokens: 10, cacheTtl: "5m" as const, stable: ["s"], volatile: "v" };
  assertEquals(buildRequest(spec).diagnostics, undefined);
  assertEquals(buildRequest({ ...spec, previousMessageId: null }).diagnostics, { previous_message_id: null });
  assertEquals(buildRequest({ ...spec, previousMessageId: "msg_1" }).diagnostics, {
    previous_message_id: "msg_1",
  });
});

Deno.test("the schedule decides while the ledger has too little: woken every 15 minutes 1h, every minute 5m", () => {
  const now = Date.UTC(2026, 11, 7, 10, 3);
  assertEquals(scheduleTtls("*/15 * * * *", now), { stable: ["1h", "1h"], turns: "5m" });
  assertEquals(scheduleTtls("* * * * *", now), { stable: ["5m", "5m"], turns: "5m" });
  assertEquals(scheduleTtls("*/5 * * * *", now).stable, ["1h", "1h"]);
  assertEquals(scheduleTtls("0 * * * *", now).stable, ["5m", "5m"]);
  assertEquals(MIN_GAPS > 1, true);
});

Deno.test("the ledger's calls become the model's, the agent's and each stage's traffic", () => {
  const call = (ts: number, agentId: string, model: string, workflowId: string, turn: number): CallTime => ({
    ts,
    agentId,
    model,
    workflowId,
    turn,
  });
  const calls = [
    call(1, "writer", "m", "w1", 1),
    call(2, "writer", "m", "w1", 2),
    call(3, "editor", "m", "w1", 1),
    call(4, "writer", "other", "w2", 1),
    call(5, "writer", "m", "w1", 1), // the writer's stage again (a revision): a new run
    call(6, "writer", "m", "w1", 2),
    call(7, "writer", "m", "w1", 3),
  ];
  const [shared, agent, turns] = segmentsOf(calls, { agentId: "writer", model: "m", sizes: [3, 2, 1] });
  assertEquals(shared, { runs: [[1, 2, 3, 5, 6, 7]], size: 3 });
  assertEquals(agent, { runs: [[1, 2, 5, 6, 7]], size: 2 });
  assertEquals(turns, { runs: [[2], [6, 7]], size: 1 });
});
