/** `report`, `models` and `project` on a ledger whose every figure is worked out by hand. */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { caps, openLedger, runPressroom, tempDir } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import type { CallUsage } from "../../src/ledger/cost.ts";

const usage = (u: Partial<CallUsage>): CallUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  webSearchRequests: 0,
  batch: false,
  ...u,
});

/** Two published workflows on the real API and one simulated call; see the figures in each test. */
async function fixture(): Promise<string> {
  const cwd = await tempDir();
  const now = Date.now();
  let tick = 0;
  const ledger = openLedger(`${cwd}/pressroom-data`, caps({ perWorkflowUsd: 10 }), () => now + tick++);
  const db = ledger.db;
  const workflow = (id: string, models: Record<string, string>) => {
    db.prepare(
      `INSERT INTO workflow (id, topic, created_ts, updated_ts, stage, status, models, state)
       VALUES (?, 't', ?, ?, 'done', 'published', ?, '{}')`,
    ).run(id, now, now, JSON.stringify(models));
    db.prepare(
      "INSERT INTO workflow_event (workflow_instance_id, ts, stage, kind) VALUES (?, ?, 'publisher', 'published')",
    )
      .run(id, now);
  };
  const call = (
    wf: string,
    agent: string,
    model: string,
    nano: number,
    outcomes: string[],
    u: Partial<CallUsage> = {},
    backend: "anthropic" | "sim" = "anthropic",
  ) => {
    const r = ledger.reserve({ agentId: agent, workflowId: wf, model, backend, worstCaseNano: 1e9 });
    for (const o of outcomes) {
      db.prepare(
        `INSERT INTO tool_call (call_id, workflow_instance_id, agent_id, model, turn, tool, outcome, ts)
         VALUES (?, ?, ?, ?, 1, 't', ?, ?)`,
      ).run(r.id, wf, agent, model, o, now);
    }
    ledger.settle(r, {
      status: "ok",
      costNano: nano,
      usage: usage(u),
      toolCallsMade: outcomes.length,
      toolCallsSucceeded: outcomes.filter((o) => o === "ok").length,
    });
  };
  workflow("W1", DEFAULT_MODELS);
  workflow("W2", { ...DEFAULT_MODELS, writer: "claude-sonnet-4-6" });
  call("W1", "intake", "claude-opus-4-7", 10_000_000, ["ok", "ok", "ok", "malformed_args"], {
    inputTokens: 100,
    outputTokens: 10,
  });
  call("W1", "writer", "claude-opus-4-7", 50_000_000, ["ok", "ok"], {
    inputTokens: 200,
    outputTokens: 1800,
    cacheReadTokens: 1000,
  });
  call("W2", "intake", "claude-opus-4-7", 20_000_000, ["ok", "ok"], { inputTokens: 100, outputTokens: 20 });
  call("W2", "writer", "claude-sonnet-4-6", 30_000_000, ["ok", "wrong_tool"], {
    inputTokens: 300,
    outputTokens: 600,
    cacheWrite5mTokens: 500,
  });
  call("SIM", "writer", "claude-opus-4-7", 99_000_000, ["ok"], {}, "sim");
  ledger.close();
  return cwd;
}

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
