/** Cap holds judged against the caps in force, the summary of what a drain leaves, and the days data covers: pure. */
import { assertEquals } from "../assert.ts";
import {
  capWait,
  holdReason,
  IN_FLIGHT_BACKOFF_MS,
  judgeHold,
  pausesOf,
  withMaxTokens,
} from "../../src/pipeline/cap_holds.ts";
import { onceWakeAt } from "../../src/scheduler/scheduler.ts";
import type { CapBreach } from "../../src/errors.ts";
import type { CapHold } from "../../src/pipeline/store.ts";
import { leftSummary } from "../../src/daemon/left_line.ts";
import { daySpan } from "../../src/report/call_history.ts";

const NOW = Date.parse("2026-12-01T10:00:00Z");
const MIDNIGHT = Date.parse("2026-12-02T00:00:00Z");

const breach = (overrides: Partial<CapBreach> = {}): CapBreach => ({
  cap: "dailyUsd",
  limitNano: 1_000_000_000,
  spentNano: 900_000_000,
  reservedNano: 0,
  requestNano: 200_000_000,
  resetsAt: MIDNIGHT,
  ...overrides,
});

const hold = (overrides: Partial<CapHold> = {}): CapHold => ({
  workflowId: "wf-1",
  agent: "writer",
  model: "claude-opus-4-7",
  backend: "anthropic",
  cap: "dailyUsd",
  requestNano: 200_000_000,
  output: { maxTokens: 2048, nanoPerToken: 25_000 },
  inFlight: false,
  until: MIDNIGHT,
  ...overrides,
});

Deno.test("a refusal waits for the cap's reset, for calls in flight, or not at all", () => {
  assertEquals(capWait(breach(), NOW), { kind: "wait", inFlight: false, until: MIDNIGHT });
  // $0.70 spent + $0.20 fits under $1: only the $0.50 in flight stood in the way.
  assertEquals(capWait(breach({ spentNano: 700_000_000, reservedNano: 500_000_000 }), NOW), {
    kind: "wait",
    inFlight: true,
    until: NOW + IN_FLIGHT_BACKOFF_MS,
  });
  assertEquals(capWait(breach({ cap: "perWorkflowUsd", resetsAt: null }), NOW), {
    kind: "stuck",
    why: "it does not reset",
  });
  assertEquals(capWait(breach({ requestNano: 1_000_000_001 }), NOW), {
    kind: "stuck",
    why: "one call alone is over the cap: raise dailyUsd or lower maxTokens",
  });
});

Deno.test("a hold lifts when the caps in force take its call, and moves when another cap or reset holds it", () => {
  assertEquals(judgeHold(hold(), undefined, NOW), {
    kind: "lift",
    why: "cap dailyUsd no longer refuses the call under the caps in force",
  });
  assertEquals(judgeHold(hold({ inFlight: true, until: NOW + 5_000 }), undefined, NOW), {
    kind: "lift",
    why: "calls in flight settled under cap dailyUsd",
  });
  assertEquals(judgeHold(hold(), breach(), NOW), { kind: "keep" });
  // Raised, but the per-model cap still refuses it.
  const perModel = breach({ cap: 'perModelDailyUsd["claude-opus-*"]' });
  assertEquals(judgeHold(hold(), perModel, NOW), {
    kind: "move",
    hold: hold({ cap: 'perModelDailyUsd["claude-opus-*"]' }),
  });
  // A new cap day in another zone ends at another time.
  const later = MIDNIGHT + 8 * 3_600_000;
  assertEquals(judgeHold(hold(), breach({ resetsAt: later }), NOW), {
    kind: "move",
    hold: hold({ until: later }),
  });
  // Calls in flight settled, but the spend alone is now over the cap: a hold until the reset.
  assertEquals(judgeHold(hold({ inFlight: true, until: NOW + 5_000 }), breach(), NOW), {
    kind: "move",
    hold: hold(),
  });
  // Still only calls in flight: it keeps its time to look again.
  const inFlight = breach({ spentNano: 0, reservedNano: 900_000_000 });
  assertEquals(judgeHold(hold({ inFlight: true, until: NOW + 5_000 }), inFlight, NOW), { kind: "keep" });
  // Lowered below the call itself: lifted, so that the stage's next call stops the workflow with the reason.
  assertEquals(judgeHold(hold(), breach({ limitNano: 100_000_000 }), NOW), {
    kind: "lift",
    why:
      "cap dailyUsd now refuses it for good: one call alone is over the cap: raise dailyUsd or lower maxTokens",
  });
  assertEquals(holdReason(hold()), "waiting for cap dailyUsd to reset at 2026-12-02T00:00:00.000Z");
  // A lower maxTokens takes its output part off the held call: 1024 fewer tokens at $25/MTok.
  assertEquals(withMaxTokens(200_000_000, hold().output, 1024), 200_000_000 - 1024 * 25_000);
  assertEquals(withMaxTokens(200_000_000, null, 1024), 200_000_000);
  assertEquals(
    holdReason(hold({ inFlight: true })),
    "waiting for calls in flight to settle under cap dailyUsd",
  );
});

Deno.test("what a drain leaves: waits by cap and by retry, ready work of paused agents, the review queue", () => {
  const counts = { ready: 2, waiting: 4, stuck: 1, flagged: 1, published: 9 };
  const left = leftSummary({
    counts,
    waiting: [
      { id: "a", waitUntil: MIDNIGHT },
      { id: "b", waitUntil: MIDNIGHT },
      { id: "c", waitUntil: NOW + 60_000 },
      { id: "d", waitUntil: NOW + 15_000 },
    ],
    holds: [
      hold({ workflowId: "a" }),
      hold({ workflowId: "b", agent: "intake" }),
      hold({ workflowId: "d", inFlight: true, until: NOW + 15_000 }),
    ],
    pauses: [
      { agent: "intake", model: "claude-opus-4-7", cap: "dailyUsd", until: MIDNIGHT },
      { agent: "writer", model: "claude-opus-4-7", cap: "dailyUsd", until: MIDNIGHT },
    ],
  });
  assertEquals(
    left.text,
    "left: 2 waiting for cap dailyUsd until 2026-12-02T00:00:00.000Z, 1 waiting for calls in flight to settle, " +
      "1 waiting to retry from " +
      "2026-12-01T10:01:00.000Z, 2 ready (paused: intake on claude-opus-4-7, writer on claude-opus-4-7), " +
      "1 stuck (see review/), " +
      "1 flagged for review (see review/); 9 published in all",
  );
  assertEquals(left.fields.caps, [{ cap: "dailyUsd", until: "2026-12-02T00:00:00.000Z", workflows: 2 }]);
  assertEquals(left.fields.retries, { workflows: 1, first: "2026-12-01T10:01:00.000Z" });
  const none = leftSummary({
    counts: { ready: 0, waiting: 0, stuck: 0, flagged: 0, published: 12 },
    waiting: [],
    holds: [],
    pauses: [],
  });
  assertEquals(none.text, "left: nothing to do; 12 published in all");
});

Deno.test("the days data covers are cap days in the caps' zone, from the first call to today, at most --days", () => {
  assertEquals(daySpan(NOW - 3_600_000, NOW, "UTC", 7), { days: 1, from: "2026-12-01", to: "2026-12-01" });
  assertEquals(daySpan(NOW - 2 * 86_400_000, NOW, "UTC", 7), {
    days: 3,
    from: "2026-11-29",
    to: "2026-12-01",
  });
  // 10:00 UTC is already 00:00 of the next day in Kiritimati (UTC+14); 08:00 UTC was still the day before.
  assertEquals(daySpan(NOW - 2 * 3_600_000, NOW, "Pacific/Kiritimati", 7), {
    days: 2,
    from: "2026-12-01",
    to: "2026-12-02",
  });
  assertEquals(daySpan(NOW - 30 * 86_400_000, NOW, "UTC", 7).days, 7);
});

Deno.test("an agent is paused on the model a hold is for, by the hold that ends first; calls in flight pause nothing", () => {
  const later = MIDNIGHT + 3_600_000;
  assertEquals(
    pausesOf([
      hold({ workflowId: "a", until: later, cap: "perWorkflowUsd" }),
      hold({ workflowId: "b" }),
      hold({ workflowId: "c", model: "claude-sonnet-4-6" }),
      hold({ workflowId: "d", agent: "intake", inFlight: true }),
    ]),
    [
      { agent: "writer", model: "claude-opus-4-7", cap: "dailyUsd", until: MIDNIGHT },
      { agent: "writer", model: "claude-sonnet-4-6", cap: "dailyUsd", until: MIDNIGHT },
    ],
  );
});

Deno.test("run --once waits only for waits it could claim when they end, within what is left of its horizon", () => {
  const wait = (
    agent: "writer" | "intake",
    until: number,
    holdBackend: "anthropic" | "sim" | null = null,
  ) => ({
    agent,
    model: "claude-opus-4-7",
    until,
    holdBackend,
  });
  const base = { now: NOW, paused: [], backend: "anthropic" as const, horizonMs: 120_000, waitedMs: 0 };
  assertEquals(
    onceWakeAt({ ...base, waits: [wait("writer", NOW + 90_000), wait("intake", NOW + 60_000)] }),
    NOW + 60_000,
  );
  assertEquals(onceWakeAt({ ...base, waits: [wait("writer", NOW + 121_000)] }), undefined);
  assertEquals(onceWakeAt({ ...base, waits: [wait("writer", NOW + 90_000)], waitedMs: 60_000 }), undefined);
  // The writer is paused on Opus until midnight: its retry in 90 s could not be claimed.
  const paused = [{ agent: "writer" as const, model: "claude-opus-4-7", cap: "dailyUsd", until: MIDNIGHT }];
  assertEquals(onceWakeAt({ ...base, paused, waits: [wait("writer", NOW + 90_000)] }), undefined);
  // A hold of the simulated model's is not this run's to wait for.
  assertEquals(onceWakeAt({ ...base, waits: [wait("intake", NOW + 5_000, "sim")] }), undefined);
});
