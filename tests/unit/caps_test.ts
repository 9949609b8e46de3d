/** Cap arithmetic and cap periods, without a database. */
import { assert, assertEquals } from "../assert.ts";
import { capRulesFor, findBreach, globMatches, type SpendSnapshot } from "../../src/ledger/caps.ts";
import { dayKey, dayPeriod } from "../../src/ledger/period.ts";
import { caps } from "../helpers.ts";

const day = dayPeriod(Date.parse("2026-11-24T12:00:00Z"), "UTC");
const snapshot = (
  models: Record<string, [number, number]>,
  workflow: [number, number] = [0, 0],
): SpendSnapshot => ({
  dayByModel: new Map(Object.entries(models).map(([m, [spent, reserved]]) => [m, { spent, reserved }])),
  workflow: { spent: workflow[0], reserved: workflow[1] },
});

Deno.test("globs match model ids the way the config means them", () => {
  assert(globMatches("claude-opus-*", "claude-opus-4-7"));
  assert(!globMatches("claude-opus-*", "claude-sonnet-4-6"));
  assert(globMatches("claude-?onnet-4-6", "claude-sonnet-4-6"));
  assert(!globMatches("claude-opus-4.7", "claude-opus-4x7"), "a dot is a dot, not any character");
});

Deno.test("an Opus call answers to the daily, Opus and per-workflow caps; a Sonnet call skips the Opus cap", () => {
  assertEquals(capRulesFor(caps(), "claude-opus-4-7").map((r) => r.name), [
    "dailyUsd",
    'perModelDailyUsd["claude-opus-*"]',
    "perWorkflowUsd",
  ]);
  assertEquals(capRulesFor(caps(), "claude-sonnet-4-6").map((r) => r.name), ["dailyUsd", "perWorkflowUsd"]);
});

Deno.test("spent + reserved + request must fit: exactly at the limit passes, one nano over fails", () => {
  const rules = capRulesFor(caps({ dailyUsd: 1, perModelDailyUsd: {} }), "claude-sonnet-4-6");
  const snap = snapshot({ "claude-sonnet-4-6": [600_000_000, 300_000_000] });
  assertEquals(findBreach(rules, snap, 100_000_000, day), undefined);
  const breach = findBreach(rules, snap, 100_000_001, day);
  assertEquals(breach, {
    cap: "dailyUsd",
    limitNano: 1_000_000_000,
    spentNano: 600_000_000,
    reservedNano: 300_000_000,
    requestNano: 100_000_001,
    resetsAt: Date.parse("2026-11-25T00:00:00Z"),
  });
});

Deno.test("the per-model cap sums every model its glob matches, and only those", () => {
  const rules = capRulesFor(
    caps({ dailyUsd: 100, perModelDailyUsd: { "claude-opus-*": 1 } }),
    "claude-opus-4-7",
  );
  const snap = snapshot({
    "claude-opus-4-7": [400_000_000, 0],
    "claude-opus-4-6": [400_000_000, 100_000_000],
    "claude-sonnet-4-6": [5_000_000_000, 0],
  });
  assertEquals(findBreach(rules, snap, 100_000_000, day), undefined);
  assertEquals(findBreach(rules, snap, 100_000_001, day)?.cap, 'perModelDailyUsd["claude-opus-*"]');
});

Deno.test("the per-workflow cap counts the workflow's own spend and never resets", () => {
  const rules = capRulesFor(caps({ perWorkflowUsd: 0.5 }), "claude-sonnet-4-6");
  const breach = findBreach(rules, snapshot({}, [450_000_000, 40_000_000]), 20_000_000, day);
  assertEquals(breach?.cap, "perWorkflowUsd");
  assertEquals(breach?.resetsAt, null);
});

Deno.test("days follow the configured time zone, DST days included", () => {
  const ny = (iso: string) => dayPeriod(Date.parse(iso), "America/New_York");
  const spring = ny("2026-03-08T12:00:00Z");
  assertEquals([spring.start, spring.end], [
    Date.parse("2026-03-08T05:00:00Z"),
    Date.parse("2026-03-09T04:00:00Z"),
  ]);
  const fall = ny("2026-11-01T12:00:00Z");
  assertEquals((fall.end - fall.start) / 3_600_000, 25);
  const kathmandu = dayPeriod(Date.parse("2026-11-24T12:00:00Z"), "Asia/Kathmandu");
  assertEquals(new Date(kathmandu.end).toISOString(), "2026-11-24T18:15:00.000Z");
  const utcMidnight = dayPeriod(Date.parse("2026-11-24T00:00:00Z"), "UTC");
  assertEquals(
    utcMidnight.start,
    Date.parse("2026-11-24T00:00:00Z"),
    "midnight belongs to the day it starts",
  );
});

Deno.test("a UTC day, worked out without time-zone data, is the day the zone rules give (Etc/GMT)", () => {
  // Instants around midnights, a leap day and a year's end, one millisecond either side.
  const edges = [
    "2026-11-24T00:00:00Z",
    "2028-02-29T00:00:00Z",
    "2027-01-01T00:00:00Z",
    "2026-06-15T13:37:00Z",
  ];
  for (const iso of edges) {
    for (const delta of [-1, 0, 1]) {
      const t = Date.parse(iso) + delta;
      assertEquals(dayPeriod(t, "UTC"), dayPeriod(t, "Etc/GMT"), `${iso} ${delta} ms`);
      assertEquals(dayKey(t, "UTC"), dayKey(t, "Etc/GMT"), `${iso} ${delta} ms`);
    }
  }
  assertEquals(dayKey(Date.parse("2027-01-01T00:00:00Z") - 1, "UTC"), "2026-12-31");
});

Deno.test("a cap the spend alone would break is named before one that only calls in flight fill", () => {
  const rules = capRulesFor(
    caps({ dailyUsd: 1, perModelDailyUsd: { "claude-opus-*": 0.5 } }),
    "claude-opus-4-7",
  );
  // dailyUsd: $0.45 spent + $0.50 in flight + $0.10 > $1, but $0.45 + $0.10 fits: only calls in flight.
  // The Opus cap: $0.45 + $0.10 > $0.50 with nothing in flight counted: waiting for calls cannot help.
  const snap = snapshot({ "claude-opus-4-7": [450_000_000, 0], "claude-sonnet-4-6": [0, 500_000_000] });
  assertEquals(findBreach(rules, snap, 100_000_000, day)?.cap, 'perModelDailyUsd["claude-opus-*"]');
  // With room under the Opus cap, the in-flight breach of dailyUsd is the one there is.
  const roomy = capRulesFor(
    caps({ dailyUsd: 1, perModelDailyUsd: { "claude-opus-*": 5 } }),
    "claude-opus-4-7",
  );
  assertEquals(findBreach(roomy, snap, 100_000_000, day)?.cap, "dailyUsd");
});
