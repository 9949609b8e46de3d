/**
 * A ledger whose every figure is worked out by hand: two published workflows on
 * the real API and one simulated call. The figures are in report_cli_test.ts.
 * @module
 */
import { caps, openLedger, rawDb, tempDir } from "../helpers.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import type { CallUsage } from "../../src/pricing/cost.ts";

/** A call's usage: zero but for `u`. */
export const usage = (u: Partial<CallUsage>): CallUsage => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  webSearchRequests: 0,
  batch: false,
  ...u,
});

export async function fixture(): Promise<string> {
  const cwd = await tempDir();
  const now = Date.now();
  let tick = 0;
  const ledger = openLedger(`${cwd}/pressroom-data`, caps({ perWorkflowUsd: 10 }), () => now + tick++);
  const db = rawDb(ledger);
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
  // The demo's simulated writer call went through a Message Batch.
  call("SIM", "writer", "claude-opus-4-7", 99_000_000, ["ok"], { batch: true }, "sim");
  ledger.close();
  return cwd;
}
