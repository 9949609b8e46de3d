/**
 * `report`'s caps section as the caps count: days from midnight to midnight in `caps.timezone`, real API
 * spend and refusals apart from the simulated model's, and the over-reservation anomaly.
 */
// deno-lint-ignore-file no-explicit-any
import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { caps, openLedger, runPressroom, tempDir } from "../helpers.ts";
import { CostCapError } from "../../src/errors.ts";
import type { Backend } from "../../src/ledger/ledger.ts";

// 20:00 UTC on 30 November and 03:00 UTC on 1 December are both 1 December in Kiritimati (UTC+14).
const EVENING = Date.parse("2026-11-30T20:00:00Z");
const NIGHT = Date.parse("2026-12-01T03:00:00Z");

async function ledgerAcrossUtcMidnight(): Promise<string> {
  const cwd = await tempDir();
  let now = EVENING;
  const ledger = openLedger(
    `${cwd}/pressroom-data`,
    caps({ dailyUsd: 0.5, perModelDailyUsd: {}, timezone: "Pacific/Kiritimati" }),
    () => now,
  );
  try {
    const call = (nano: number, backend: Backend = "anthropic") => {
      const r = ledger.reserve({
        agentId: "writer",
        workflowId: "W",
        model: "claude-opus-4-7",
        backend,
        worstCaseNano: nano,
      });
      ledger.settle(r, { status: "ok", costNano: nano });
    };
    call(100_000_000);
    call(40_000_000, "sim");
    now = NIGHT;
    call(200_000_000);
    // Refused: the UTC day holds $0.20, but the caps' own day (Kiritimati) holds $0.30 + $0.30 > $0.50.
    assertThrows(
      () =>
        ledger.reserve({
          agentId: "writer",
          workflowId: "W",
          model: "claude-opus-4-7",
          backend: "anthropic",
          worstCaseNano: 300_000_000,
        }),
      CostCapError,
    );
    assertThrows(
      () =>
        ledger.reserve({
          agentId: "writer",
          workflowId: "S",
          model: "claude-opus-4-7",
          backend: "sim",
          worstCaseNano: 600_000_000,
        }),
      CostCapError,
    );
  } finally {
    ledger.close();
  }
  return cwd;
}

async function reportIn(cwd: string, timezone: string): Promise<any> {
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({ caps: { dailyUsd: 0.5, perModelDailyUsd: {}, timezone } }),
  );
  const { code, out, err } = await runPressroom(cwd, ["report", "--since", "2026-11-29", "--json"]);
  assertEquals(code, 0, err);
  return JSON.parse(out);
}

Deno.test("report counts cap days in the caps' time zone, and real refusals apart from simulated ones", async () => {
  const cwd = await ledgerAcrossUtcMidnight();
  const far = await reportIn(cwd, "Pacific/Kiritimati");
  assertEquals(far.timezone, "Pacific/Kiritimati");
  const [real, sim] = far.backends;
  assertEquals([real.backend, sim.backend], ["anthropic", "sim"]);
  assertEquals(real.caps, [{
    day: "2026-12-01",
    spendUsd: 0.3,
    byCap: { dailyUsd: 0.3 },
    refusals: 1,
    hitCap: true,
  }]);
  assertEquals(sim.caps, [{
    day: "2026-12-01",
    spendUsd: 0.04,
    byCap: { dailyUsd: 0.04 },
    refusals: 1,
    hitCap: true,
  }]);

  // In UTC the same calls fall on two days, and the refusal on the second.
  const utc = (await reportIn(cwd, "UTC")).backends[0];
  assertEquals(utc.caps.map((d: any) => [d.day, d.spendUsd, d.refusals]), [["2026-11-30", 0.1, 0], [
    "2026-12-01",
    0.2,
    1,
  ]]);

  const text = await runPressroom(cwd, ["report", "--since", "2026-11-29"]);
  assertMatch(text.out, /^caps per day \(UTC\): real API spend, which is all the caps count$/m);
  assertMatch(
    text.out,
    /^caps per day \(UTC\): the simulated model's spend, never counted toward the caps$/m,
  );
});

Deno.test("report counts the calls booked above their reservation, on their own backend", async () => {
  const cwd = await tempDir();
  const ledger = openLedger(`${cwd}/pressroom-data`, caps());
  try {
    const r = ledger.reserve({
      agentId: "writer",
      workflowId: "W",
      model: "claude-opus-4-7",
      backend: "anthropic",
      worstCaseNano: 50_000_000,
    });
    // What a proxy that reports more output than max_tokens makes the ledger book: the truth, above the reservation.
    ledger.settle(r, { status: "ok", costNano: 125_500_000 });
  } finally {
    ledger.close();
  }
  const { code, out, err } = await runPressroom(cwd, ["report", "--json"]);
  assertEquals(code, 0, err);
  assertEquals(JSON.parse(out).backends.map((b: any) => [b.backend, b.overReservedCalls]), [[
    "anthropic",
    1,
  ]]);
  assertMatch(
    (await runPressroom(cwd, ["report"])).out,
    /^ {2}1 call\(s\) booked above their reservation, which can pass a cap: usage the API cannot send/m,
  );
});
