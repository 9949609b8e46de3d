/** `report`, `models` and `project` on a ledger whose every figure is worked out by hand. */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runPressroom } from "../helpers.ts";
import { fixture } from "./fixture.ts";

Deno.test("report --json: cost per completion, shares, agent × model figures, cache and caps, real apart from simulated", async () => {
  const cwd = await fixture();
  const { code, out, err } = await runPressroom(cwd, ["report", "--json"]);
  assertEquals(code, 0, err);
  const report = JSON.parse(out);
  assertEquals(report.backends.map((b: any) => [b.backend, b.simulated]), [["anthropic", false], [
    "sim",
    true,
  ]]);
  const real = report.backends[0];
  // W1 = $0.01 + $0.05 = $0.06, W2 = $0.02 + $0.03 = $0.05.
  assertEquals(real.completions, { count: 2, meanUsd: 0.055, p50Usd: 0.05, p90Usd: 0.06 });
  // intake $0.03 and writer $0.08 of $0.11.
  const share = Object.fromEntries(
    real.shareByAgent.map((s: any) => [s.agent, Math.round(s.share * 1000) / 1000]),
  );
  assertEquals(share, { intake: 0.273, writer: 0.727 });
  const figures = (agent: string, model: string) =>
    real.agents.find((a: any) => a.agent === agent && a.model === model);
  const intake = figures("intake", "claude-opus-4-7");
  assertEquals([intake.calls, intake.costUsd, intake.costPerCallUsd, intake.toolCalls], [2, 0.03, 0.015, 6]);
  assertEquals(Math.round(intake.toolAccuracy * 1000) / 1000, 0.833);
  assertEquals(intake.failures, { wrong_tool: 0, malformed_args: 1, logic_error: 0 });
  assertEquals(intake.retriesPerCompletion, 0.5);
  assertEquals(intake.turnsPerCompletion, { mean: 1, n: 2 });
  const sonnetWriter = figures("writer", "claude-sonnet-4-6");
  assertEquals([sonnetWriter.inputTokens, sonnetWriter.outputTokens, sonnetWriter.failures.wrong_tool], [
    800,
    600,
    1,
  ]);
  // Stable blocks read on 1 of 4 calls; 1000 of 2200 prompt tokens read from cache;
  // saved 1000 × ($5 − $0.50) per MTok = $0.0045.
  assertEquals(real.cache.stableHitRate, 0.25);
  assertEquals(Math.round(real.cache.tokenHitRate * 10000) / 10000, 0.4545);
  assertEquals(real.cache.readSavedUsd, 0.0045);
  assertEquals(real.cache.coldWritesAfterSwap.map((s: any) => [s.agent, s.from, s.to, s.writeTokens]), [
    ["writer", "claude-opus-4-7", "claude-sonnet-4-6", 500],
  ]);
  assertEquals(real.caps.length, 1);
  assertEquals(real.caps[0].spendUsd, 0.11);
  assertEquals(real.caps[0].byCap, { dailyUsd: 0.11, 'perModelDailyUsd["claude-opus-*"]': 0.08 });
  assertEquals(report.backends[1].cache.calls, 1, "the simulated call is counted apart");

  const text = await runPressroom(cwd, ["report", "--agent", "writer"]);
  assertMatch(text.out, /^== Anthropic API, last 7d$/m);
  assertMatch(text.out, /^== SIMULATED/m);
  assert(!/^intake/m.test(text.out), "--agent keeps to one agent");
  const bad = await runPressroom(cwd, ["report", "--since", "yesterday"]);
  assertEquals([bad.code, bad.err.trim()], [
    2,
    'pressroom: --since: "yesterday" is not a duration like 7d, 24h, 90m or a date like 2026-11-01',
  ]);
});

Deno.test("report --agent: the agent's own cost per completion and its share of the whole; --since a date says since", async () => {
  const cwd = await fixture();
  const { code, out, err } = await runPressroom(cwd, [
    "report",
    "--agent",
    "writer",
    "--since",
    "2026-01-01",
  ]);
  assertEquals([code, err], [0, ""]);
  const real = out.split("\n==")[0].split("\n");
  // The writer's calls: W1 $0.05, W2 $0.03, of the workflows' whole $0.11 (intake $0.03).
  assertEquals(real.slice(0, 3), [
    "== Anthropic API, since 2026-01-01",
    "the writer's cost per completion (n=2): mean $0.0400, p50 $0.0300, p90 $0.0500",
    "the writer's share of those workflows' whole cost: 72.7% ($0.0800)",
  ]);
  assertMatch(real[3], /^ {2}\d{4}-\d{2}-\d{2}: 2 completed, mean \$0\.0400$/);
  const json = JSON.parse((await runPressroom(cwd, ["report", "--agent", "writer", "--json"])).out);
  assertEquals(json.backends[0].completions, { count: 2, meanUsd: 0.04, p50Usd: 0.03, p90Usd: 0.05 });
  assertEquals(json.backends[0].shareByAgent, [{
    agent: "writer",
    usd: 0.08,
    share: 80_000_000 / 110_000_000,
  }]);

  const all = await runPressroom(cwd, ["report", "--since", "30d"]);
  assertEquals(all.out.split("\n").slice(0, 3), [
    "== Anthropic API, last 30d",
    "cost per completion (n=2): mean $0.0550, p50 $0.0500, p90 $0.0600",
    "share by agent: intake 27.3%, writer 72.7%",
  ]);
});

Deno.test("models shows assignments, pins and swaps; project re-prices an agent against the caps", async () => {
  const cwd = await fixture();
  const models = JSON.parse((await runPressroom(cwd, ["models", "--json"])).out);
  assertEquals(models.current.writer, "claude-opus-4-7");
  assertEquals(models.swaps.map((s: any) => [s.agent, s.from, s.to, s.workflow]), [[
    "writer",
    "claude-opus-4-7",
    "claude-sonnet-4-6",
    "W2",
  ]]);

  const { code, out, err } = await runPressroom(cwd, [
    "project",
    "--agent",
    "intake",
    "--model",
    "claude-sonnet-4-6",
    "--days",
    "1",
    "--json",
  ]);
  assertEquals(code, 0, err);
  const p = JSON.parse(out);
  // Intake's two Opus calls: 200 in, 30 out. At Sonnet: tokens × 1/1.35 → 149 in (ceil of 74.07 twice: 75 + 75 = 150),
  // out 8 + 15 = 23 (ceil of 7.4 and 14.8). Cost 150 × $3 + 23 × $15 per MTok = $0.00045 + $0.000345 = $0.000795.
  assertEquals(p.agentDailyNowUsd, 0.03);
  assertEquals(p.agentDailyUsd, 0.000795);
  // Others over the day: writer $0.05 Opus + $0.03 Sonnet.
  assertEquals(p.pipelineDailyUsd, 0.080795);
  assertEquals(p.caps.map((c: any) => [c.cap, c.projectedDailyUsd, c.fits]), [
    ["dailyUsd", 0.080795, true],
    ['perModelDailyUsd["claude-opus-*"]', 0.05, true],
  ]);
  assertEquals(p.poolThatFits, 2);
  const unknown = await runPressroom(cwd, ["project", "--agent", "intake", "--model", "gpt-9"]);
  assertEquals(unknown.code, 2);
  assertMatch(unknown.err, /unknown model "gpt-9"/);
});
