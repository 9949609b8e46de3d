/** The rows `report` and `project` read, each query on its own, against a ledger built call by call. */
import { assertEquals, assertThrows } from "../assert.ts";
import { caps, openLedger, rawDb, tempDir } from "../helpers.ts";
import { CostCapError } from "../../src/errors.ts";
import { DEFAULT_MODELS } from "../../src/config/schema.ts";
import type { CallUsage } from "../../src/pricing/cost.ts";
import type { Backend, Ledger, ToolCallRecord } from "../../src/ledger/ledger.ts";
import { PUBLISHED, WorkflowStore } from "../../src/pipeline/store.ts";
import { ReportQueries } from "../../src/report/queries.ts";
import { usage } from "./fixture.ts";

const T0 = Date.parse("2026-11-24T10:00:00Z");
const HOUR = 3_600_000;
/** The window the tests ask about: it leaves out the first call, an hour before it. */
const SINCE = T0 + HOUR;
const OPUS = "claude-opus-4-7";
const SONNET = "claude-sonnet-4-6";

/** Null-prototype rows as plain objects, so that they compare with literals. */
const plain = <T extends object>(rows: T[]) => rows.map((r) => ({ ...r }));

interface Setup {
  queries: ReportQueries;
  /** Workflow A (published at T0 + 3h) and B (never published). */
  a: string;
  b: string;
  /** When each recorded thing happened. */
  times: { writerCall: number; failedCall: number; refusal: number };
  ledger: Ledger;
}

/**
 * A: an intake call before the window, a writer call in it (booked above its reservation, two tool calls)
 * and a simulated call; B: a failed call. One refused call on the real API. Then A is published.
 */
async function setup(): Promise<Setup> {
  let now = T0;
  const clock = () => now;
  const ledger = openLedger(
    await tempDir(),
    caps({ dailyUsd: 1, perModelDailyUsd: {}, perWorkflowUsd: 10 }),
    clock,
  );
  const store = new WorkflowStore(rawDb(ledger), clock);
  const a = store.create({ topic: "a" }, DEFAULT_MODELS).id;
  now++;
  const b = store.create({ topic: "b" }, DEFAULT_MODELS).id;
  const call = (
    workflowId: string,
    agentId: string,
    model: string,
    options: {
      backend?: Backend;
      worst?: number;
      costNano: number;
      u?: Partial<CallUsage>;
      failed?: boolean;
      tools?: ToolCallRecord[];
    },
  ) => {
    const r = ledger.reserve({
      agentId,
      workflowId,
      model,
      backend: options.backend ?? "anthropic",
      worstCaseNano: options.worst ?? options.costNano,
    });
    ledger.settle(r, {
      status: options.failed ? "api_error" : "ok",
      costNano: options.costNano,
      usage: options.failed ? undefined : usage(options.u ?? {}),
      tools: options.tools,
    });
    return r.id;
  };
  now = T0 + 10;
  call(a, "intake", OPUS, { costNano: 10_000_000, u: { inputTokens: 100, outputTokens: 10 } });
  const writerCall = now = T0 + 2 * HOUR;
  call(a, "writer", SONNET, {
    worst: 30_000_000,
    costNano: 40_000_000,
    u: { inputTokens: 200, outputTokens: 300, cacheReadTokens: 1000, cacheWrite5mTokens: 500 },
    tools: [
      { tool: "update_section", outcome: "ok", message: null },
      { tool: "add_citation", outcome: "wrong_tool", message: "not the writer's" },
    ],
  });
  const failedCall = now = T0 + 2 * HOUR + 1;
  call(b, "writer", SONNET, { costNano: 0, failed: true });
  now = T0 + 2 * HOUR + 2;
  call(a, "writer", OPUS, { backend: "sim", costNano: 99_000_000, u: { outputTokens: 50 } });
  const refusal = now = T0 + 2 * HOUR + 3;
  assertThrows(
    () =>
      ledger.reserve({
        agentId: "editor",
        workflowId: a,
        model: OPUS,
        backend: "anthropic",
        worstCaseNano: 2e9,
      }),
    CostCapError,
  );
  now = T0 + 3 * HOUR;
  store.event(a, "publisher", PUBLISHED, "published/a.md");
  return {
    queries: new ReportQueries(rawDb(ledger)),
    a,
    b,
    times: { writerCall, failedCall, refusal },
    ledger,
  };
}

Deno.test("report queries: backends, completions and what each agent cost in them, by backend and window", async () => {
  const { queries, a, ledger } = await setup();
  try {
    assertEquals(queries.backends(SINCE), ["anthropic", "sim"]);
    assertEquals(queries.backends(T0 + 4 * HOUR), []);
    // A's whole real spend, the call before the window too; B was never published.
    assertEquals(plain(queries.completions("anthropic", SINCE)), [{
      id: a,
      published: T0 + 3 * HOUR,
      nano: 50_000_000,
    }]);
    assertEquals(plain(queries.completions("sim", SINCE)), [{
      id: a,
      published: T0 + 3 * HOUR,
      nano: 99_000_000,
    }]);
    assertEquals(queries.completions("anthropic", T0 + 4 * HOUR), [], "published before the window");
    const byAgent = plain(queries.completionCosts("anthropic", SINCE)).sort((x, y) =>
      x.agent.localeCompare(y.agent)
    );
    assertEquals(byAgent, [
      { id: a, agent: "intake", model: OPUS, nano: 10_000_000 },
      { id: a, agent: "writer", model: SONNET, nano: 40_000_000 },
    ]);
    assertEquals(plain(queries.completionCosts("sim", SINCE)), [{
      id: a,
      agent: "writer",
      model: OPUS,
      nano: 99_000_000,
    }]);
  } finally {
    ledger.close();
  }
});

Deno.test("report queries: the window's calls and tool outcomes, of one agent if asked, oldest first", async () => {
  const { queries, a, b, times, ledger } = await setup();
  try {
    const writerRow = {
      agent: "writer",
      workflowId: a,
      model: SONNET,
      inputTokens: 200,
      outputTokens: 300,
      cacheReadTokens: 1000,
      cacheWriteTokens: 500,
      costNano: 40_000_000,
      ts: times.writerCall,
      batch: 0,
      webSearchRequests: 0,
      turn: null,
      cacheWrite5mTokens: 500,
      cacheWrite1hTokens: 0,
      cacheTtls: null,
      cacheMissReason: null,
      cacheMissedTokens: null,
    };
    const failedRow = {
      agent: "writer",
      workflowId: b,
      model: SONNET,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costNano: 0,
      ts: times.failedCall,
      batch: 0,
      webSearchRequests: 0,
      turn: null,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheTtls: null,
      cacheMissReason: null,
      cacheMissedTokens: null,
    };
    assertEquals(plain(queries.calls("anthropic", { since: SINCE })), [writerRow, failedRow]);
    assertEquals(plain(queries.calls("anthropic", { since: SINCE, agent: "writer" })), [
      writerRow,
      failedRow,
    ]);
    assertEquals(
      queries.calls("anthropic", { since: SINCE, agent: "intake" }),
      [],
      "its call is before the window",
    );
    assertEquals(plain(queries.calls("anthropic", { since: T0, agent: "intake" })).map((r) => r.costNano), [
      10_000_000,
    ]);
    assertEquals(plain(queries.calls("sim", { since: SINCE })).map((r) => [r.model, r.costNano]), [[
      OPUS,
      99_000_000,
    ]]);
    const outcomes = plain(queries.toolOutcomes("anthropic", { since: SINCE })).sort((x, y) =>
      x.outcome.localeCompare(y.outcome)
    );
    assertEquals(outcomes, [
      { agent: "writer", model: SONNET, outcome: "ok", workflowId: a },
      { agent: "writer", model: SONNET, outcome: "wrong_tool", workflowId: a },
    ]);
    assertEquals(queries.toolOutcomes("anthropic", { since: SINCE, agent: "editor" }), []);
    assertEquals(queries.toolOutcomes("sim", { since: SINCE }), []);
  } finally {
    ledger.close();
  }
});

Deno.test("report queries: refusals and calls above their reservation, each on its own backend", async () => {
  const { queries, times, ledger } = await setup();
  try {
    assertEquals(queries.refusals("anthropic", SINCE), [times.refusal]);
    assertEquals(queries.refusals("anthropic", times.refusal + 1), []);
    assertEquals(queries.refusals("sim", SINCE), []);
    assertEquals(queries.overReserved("anthropic", SINCE), 1);
    assertEquals(queries.overReserved("anthropic", times.writerCall + 1), 0);
    assertEquals(queries.overReserved("sim", SINCE), 0);
  } finally {
    ledger.close();
  }
});

Deno.test("project's queries: real calls first, the successful calls of the window, mean output over all time", async () => {
  const { queries, times, ledger } = await setup();
  try {
    assertEquals(queries.anyRealCall(SINCE), true);
    assertEquals(queries.anyRealCall(times.failedCall + 1), false, "only the simulated call is left");
    // The failed call is not one to re-price.
    assertEquals(plain(queries.okCalls("anthropic", SINCE)), [{
      agent_id: "writer",
      model: SONNET,
      inputTokens: 200,
      outputTokens: 300,
      cacheReadTokens: 1000,
      cacheWrite5mTokens: 500,
      cacheWrite1hTokens: 0,
      webSearchRequests: 0,
      inferenceGeo: null,
      cost: 40_000_000,
      ts: times.writerCall,
    }]);
    assertEquals(plain(queries.okCalls("sim", SINCE)).map((r) => [r.agent_id, r.cost]), [[
      "writer",
      99_000_000,
    ]]);
    assertEquals(queries.meanOutput("writer", "anthropic"), { [SONNET]: 300 });
    assertEquals(queries.meanOutput("intake", "anthropic"), { [OPUS]: 10 }, "over all time, not the window");
    assertEquals(queries.meanOutput("writer", "sim"), { [OPUS]: 50 });
  } finally {
    ledger.close();
  }
});
