/**
 * API faults from the simulated model's loopback server, met by the scheduler
 * with the real SDK over real HTTP: 429 with retry-after, 529, 500, a
 * connection closed with no response, a timeout (short client timeout), a
 * malformed JSON body, a 200 without usage, and usage missing some fields.
 * The run survives, the ledger records each fault and books it by what it may
 * have cost (an error status nothing, a reset or a timeout the worst case per
 * attempt), no reservation stays open, and every workflow waits and then goes
 * on to the end: none is lost or stuck.
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { callClaude } from "../../src/claude/call_claude.ts";
import { createClient } from "../../src/claude/client.ts";
import { AGENT_IDS, configSchema, DEFAULT_MODELS } from "../../src/config/schema.ts";
import { costNano, normalizeUsage } from "../../src/pricing/cost.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import type { PipelineDeps } from "../../src/pipeline/loop.ts";
import { loadPrompts } from "../../src/pipeline/prompts.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { realSleep, runScheduler, type SchedulerEvent } from "../../src/scheduler/scheduler.ts";
import type { Fault, FaultKind } from "../../src/sim/faults.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { createSimulator, type Simulator } from "../../src/sim/simulator.ts";
import { RECOVERABLE_QUIRKS } from "../../src/sim/quirks.ts";
import {
  caps,
  dropRequest,
  openStorage,
  rawDb,
  runPressroom,
  simpleCall,
  tempDir,
  TEST_KEY,
} from "../helpers.ts";

/** Short, so that a request that never answers costs a fraction of a second per attempt. */
const CLIENT_TIMEOUT_MS = 500;

interface Case {
  label: string;
  fault: Fault | FaultKind;
  /** The ledger's error for the failed call (api_error row), for faults that fail the call. */
  error?: RegExp;
  /** The SDK retries it: the failed call made three attempts, and a later call got through on its second. */
  retried?: boolean;
}

/** The row's note for `n` attempts that may have been billed, for one reason. */
const billedNote = (n: number, reason: string) =>
  `${n} attempt\\(s\\) may have been billed with no answer \\(${n} ${reason}\\): each booked at its worst case`;
const LOST = "connection lost after the request may have been sent";

const CASES: Case[] = [
  {
    label: "429 with retry-after",
    fault: { kind: "rate_limit", retryAfterMs: 20 },
    error: /^RateLimitError 429 rate_limit_error: /,
    retried: true,
  },
  { label: "529", fault: "overloaded", error: /^OverloadedError 529 overloaded_error: /, retried: true },
  { label: "500", fault: "server_error", error: /^InternalServerError 500 api_error: /, retried: true },
  {
    label: "connection reset",
    fault: "connection_reset",
    error: new RegExp(
      `^APIConnectionError: Connection error\\. \\(.*connection closed before message completed\\); ${
        billedNote(3, LOST)
      }$`,
    ),
    retried: true,
  },
  {
    label: "timeout",
    fault: "timeout",
    error: new RegExp(`^APIConnectionTimeoutError: .*; ${billedNote(3, "timed out or aborted")}$`),
    retried: true,
  },
  { label: "malformed JSON", fault: "malformed_body", error: /^SyntaxError: / },
  { label: "usage missing", fault: "missing_usage" },
  { label: "usage fields missing or null", fault: "partial_usage" },
  { label: "usage without input_tokens", fault: { kind: "partial_usage", drop: ["input_tokens"] } },
];

Deno.test("the scheduler rides out every API fault over real HTTP: recorded, waiting, then done", async () => {
  const started = performance.now();
  let now = Date.parse("2026-11-24T10:00:00Z");
  let pass = 1;
  const prices = new PriceBook();
  const caseOf = new Map<string, Case>();
  const gotThrough = new Set<string>();
  const sim = createSimulator({
    seed: 11,
    prices,
    now: () => now,
    // Every workflow must end published: the quirks that stop a stage for good are met in live_replies_test.
    quirks: RECOVERABLE_QUIRKS,
    faults: {
      script: (_i, agent, { workflowId, attempt }) => {
        const c = workflowId ? caseOf.get(workflowId) : undefined;
        if (!c) return undefined;
        // Pass 1: every planner request fails (a call that outlasts the SDK's retries, or an
        // answer without what it should carry). Deno's fetch resends a reset once on a reused
        // connection, so faults follow the call and the attempt, not the request count.
        if (pass === 1 && agent === "planner") return c.fault;
        // Later: the writer's first call fails on its first attempt only, and its retry gets through.
        if (c.retried && agent === "writer" && !gotThrough.has(workflowId!)) {
          if (attempt === 0) return c.fault;
          gotThrough.add(workflowId!);
        }
        return undefined;
      },
    },
  });
  const reported = new Map<string, any>();
  const server = serveSimulator(recordingUsage(sim, reported));
  const dir = await tempDir();
  const config = configSchema.parse({
    caps: { dailyUsd: 200, perModelDailyUsd: { "claude-opus-*": 200 }, perWorkflowUsd: 5 },
    // Room for the simulated model's own mistakes; every workflow at once, so the waits overlap.
    agents: Object.fromEntries(
      AGENT_IDS.map((a) => [a, { maxTurns: 30, maxConsecutiveFailures: 8, pool: CASES.length }]),
    ),
    // The test moves the clock itself: --once must not sleep through a workflow's wait in real time.
    run: { maxConcurrent: 64, onceWaitSeconds: 0 },
  });
  const ledger = openStorage({ dataDir: dir, caps: config.caps, now: () => now }).ledger;
  const deps: PipelineDeps = {
    ledger,
    store: new WorkflowStore(rawDb(ledger), () => now),
    prices,
    client: createClient({
      apiKey: TEST_KEY,
      baseURL: server.url,
      maxRetries: 2,
      timeoutMs: CLIENT_TIMEOUT_MS,
    }),
    backend: "sim",
    config,
    prompts: await loadPrompts(undefined),
    dataDir: dir,
    now: () => now,
  };
  const events: SchedulerEvent[] = [];
  const drain = () =>
    runScheduler({
      deps,
      once: true,
      stopping: new AbortController().signal,
      sleep: realSleep,
      onEvent: (e) => events.push(e),
    });
  try {
    const ids = CASES.map((c) => {
      const id = deps.store.create({ topic: `Faults: ${c.label}` }, DEFAULT_MODELS).id;
      caseOf.set(id, c);
      return id;
    });
    const label = (id: string) => caseOf.get(id)!.label;

    await drain(); // throws if the run does not survive
    const failing = CASES.filter((c) => c.error).map((c) => c.label);
    const waiting = ids.filter((id) => deps.store.get(id).status === "waiting").map(label);
    assertEquals(waiting, failing, "a call that failed for good leaves its workflow waiting, nothing else");
    for (const id of ids.filter((id) => caseOf.get(id)!.error)) {
      const w = deps.store.get(id);
      assertEquals(w.stage, "planner", label(id));
      assertMatch(w.reason ?? "", /^API error, retrying after /, label(id));
      assertEquals(w.waitUntil, now + 60_000, label(id));
    }
    assertEquals(deps.ledger.openReservations(), 0);

    // Time passes; the API is fine again. Every workflow goes on to its end.
    pass = 2;
    for (let n = 0; n < 4 && ids.some((id) => !isEnd(deps.store.get(id).status)); n++) {
      now += 61_000;
      await drain();
    }
    const ends = ids.map((id) => [label(id), deps.store.get(id).status, deps.store.get(id).reason]);
    assert(ends.every(([, status]) => isEnd(status as string)), JSON.stringify(ends));
    assert(ends.filter(([, s]) => s === "published").length >= CASES.length - 2, JSON.stringify(ends));
    assertEquals(deps.ledger.openReservations(), 0);
    assertEquals(events.filter((e) => e.result.kind === "waiting").length, failing.length);

    const rowsOf = (id: string) =>
      rawDb(deps.ledger).prepare(
        `SELECT agent_id, status, attempts, error, request_id, cost_nano_usd AS cost,
                reserved_nano_usd AS reserved, input_tokens, output_tokens, cache_read_tokens
         FROM ai_call_log WHERE workflow_instance_id = ? ORDER BY ts, id`,
      ).all(id) as any[];
    for (const [i, c] of CASES.entries()) {
      const rows = rowsOf(ids[i]);
      const failed = rows.filter((r) => r.status === "api_error");
      if (c.error) {
        assertEquals(failed.length, 1, c.label);
        const [row] = failed;
        assertEquals(row.agent_id, "planner", c.label);
        assertMatch(row.error, c.error, c.label);
        assertEquals(row.attempts, c.retried ? 3 : 1, `${c.label}: attempts`);
        // An error status was answered and billed nothing. A request that never answered, or whose
        // connection was lost after it was sent, may have been billed: the worst case per attempt, never
        // zero, each retry reserving it first, so the row books what it held. (An unreadable 200, and
        // failures that prove nothing reached the API: call_claude_test.)
        if (c.fault === "timeout" || c.fault === "connection_reset") {
          assertEquals(row.cost, row.reserved, `${c.label}: cost`);
          assert(row.cost > 0 && row.reserved % 3 === 0, `${c.label}: three worst cases`);
        } else if (c.fault !== "malformed_body") assertEquals(row.cost, 0, `${c.label}: cost`);
      } else {
        assertEquals(failed, [], c.label);
      }
      if (c.retried) {
        const through = rows.find((r) => r.agent_id === "writer" && r.status === "ok" && r.attempts >= 2);
        assert(through, `${c.label}: the writer's call got through on a retry, under one reservation`);
        // One row for the call, priced from the answer that came back.
        const billed = costNano(
          normalizeUsage(reported.get(through.request_id), "5m"),
          prices.require("claude-opus-4-7"),
        );
        // After a timeout or a reset, the attempt that got no answer is booked too: the worst case the
        // retry reserved.
        const reason = c.fault === "timeout"
          ? "timed out or aborted"
          : c.fault === "connection_reset"
          ? LOST
          : "";
        const unanswered = reason
          ? [
            through.reserved / 2,
            `1 attempt(s) may have been billed with no answer (1 ${reason}): each booked at its worst case`,
          ]
          : [0, null];
        assertEquals(
          [through.cost, through.error],
          [billed + (unanswered[0] as number), unanswered[1]],
          `${c.label}: the call that got through`,
        );
      }
    }
    const answered = (label: string) =>
      rowsOf(ids[CASES.findIndex((c) => c.label === label)]).filter((r) => r.agent_id === "planner");
    for (const row of answered("usage missing")) {
      assertEquals([row.status, row.cost], ["ok", row.reserved], "no usage: booked at the worst case");
      assertMatch(row.error, /^response had no usage: booked at the reserved worst case$/);
    }
    for (const row of answered("usage without input_tokens")) {
      assertEquals([row.status, row.cost], ["ok", row.reserved], "no input count: booked at the worst case");
      assertMatch(row.error, /^response's usage had no input_tokens: booked at the reserved worst case$/);
    }
    const partial = answered("usage fields missing or null");
    assert(partial.length >= 1);
    for (const row of partial) {
      // What was there is priced (the writes at the requested TTL), what was null counts as none.
      const usage = reported.get(row.request_id);
      assert(usage && !("cache_creation" in usage) && usage.cache_read_input_tokens === null);
      assertEquals(row.status, "ok");
      assertEquals(row.error, null);
      assertEquals([row.input_tokens, row.output_tokens, row.cache_read_tokens], [
        usage.input_tokens,
        usage.output_tokens,
        0,
      ]);
      const priced = costNano(normalizeUsage(usage, "5m"), prices.require("claude-opus-4-7"));
      assertEquals(row.cost, priced);
      assert(priced > 0 && priced < row.reserved, `${priced} against ${row.reserved}`);
    }
    const seconds = (performance.now() - started) / 1000;
    assert(seconds < 20, `bounded in time: ${seconds.toFixed(1)} s`);
  } finally {
    ledger.close();
    await server.close();
  }
});

Deno.test("callClaude prices a usage that lacks optional fields and books one that lacks a count at worst case", async () => {
  const sim = createSimulator({
    faults: {
      script: (i) =>
        [
          {
            kind: "partial_usage",
            drop: ["cache_creation", "server_tool_use"],
            nullify: ["cache_creation_input_tokens", "cache_read_input_tokens"],
          },
          { kind: "partial_usage", nullify: ["output_tokens"] },
          undefined,
        ][i] as Fault | undefined,
    },
  });
  const ledger = openStorage({ dataDir: await tempDir(), caps: caps() }).ledger;
  try {
    const deps = {
      ledger,
      prices: new PriceBook(),
      client: createClient({ apiKey: TEST_KEY, fetch: sim.fetch, maxRetries: 0 }),
      backend: "sim" as const,
    };
    const call = simpleCall({ stable: ["Shared rules. ".repeat(600), "You are the writer."] });
    const nulls = await callClaude(deps, call);
    const noOutput = await callClaude(deps, call);
    const rows = rawDb(ledger).prepare(
      "SELECT cost_nano_usd AS cost, reserved_nano_usd AS reserved, cache_write_tokens, error FROM ai_call_log ORDER BY ts, id",
    ).all() as any[];
    // Null cache counts are none; the counts that are there are priced exactly.
    const priced = costNano(normalizeUsage(nulls.message.usage, "5m"), deps.prices.require(call.model));
    assertEquals([rows[0].cost, rows[0].cache_write_tokens, rows[0].error], [priced, 0, null]);
    assert(priced > 0 && priced < rows[0].reserved);
    assertEquals([rows[1].cost, noOutput.costNano], [rows[1].reserved, rows[1].reserved]);
    assertMatch(rows[1].error, /usage had no output_tokens: booked at the reserved worst case/);
    assertEquals(ledger.openReservations(), 0);
  } finally {
    ledger.close();
  }
});

Deno.test("run --once survives a reset and a 529 storm: exit 0, the workflow waits, the next run leaves it be", async () => {
  let storm = true;
  let resetDone = false;
  const sim = createSimulator({
    seed: 3,
    quirks: RECOVERABLE_QUIRKS,
    faults: {
      script: (_i, agent, { attempt }) => {
        // The first intake call loses its connection on its first attempt; its retry gets through.
        if (agent === "intake" && !resetDone) {
          if (attempt === 0) return "connection_reset";
          resetDone = true;
        }
        if (agent === "planner" && storm) return { kind: "overloaded", retryAfterMs: 5 };
        return undefined;
      },
    },
  });
  const server = serveSimulator(sim);
  try {
    const cwd = await tempDir();
    const data = `${cwd}/pressroom-data`;
    await Deno.mkdir(`${data}/inbox`, { recursive: true });
    // Each run ends once nothing is ready: this test is about a planner left waiting, not waited for.
    // Room for the simulated model's own mistakes, as in the test above.
    const agents = Object.fromEntries(AGENT_IDS.map((a) => [a, { maxTurns: 30, maxConsecutiveFailures: 8 }]));
    await Deno.writeTextFile(
      `${cwd}/pressroom.json`,
      JSON.stringify({ run: { onceWaitSeconds: 0 }, agents }),
    );
    await dropRequest(`${data}/inbox`, "idea.txt", "Growing tomatoes on a balcony\nSmall spaces.");
    const env = { ANTHROPIC_API_KEY: "sk-ant-test-api-faults-0123456789", ANTHROPIC_BASE_URL: server.url };
    const first = await runPressroom(cwd, ["run", "--once"], env);
    assertEquals([first.code, first.err], [0, ""]);
    const events = first.out.trim().split("\n").map((l) => JSON.parse(l));
    const stages = events.filter((e) => e.event === "stage").map((e) => [e.agent, e.result]);
    assertEquals(stages, [["intake", "advanced"], ["planner", "waiting"]]);
    assertMatch(events.find((e) => e.result === "waiting").reason, /^API error, retrying after .*529/);

    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${data}/pressroom.db`, { readOnly: true });
    const rows = db.prepare(
      `SELECT agent_id, status, attempts, error, cost_nano_usd AS cost, reserved_nano_usd AS reserved
       FROM ai_call_log ORDER BY ts, id`,
    ).all() as any[];
    db.close();
    const intake = rows.filter((r) => r.agent_id === "intake").map((r) => [r.status, r.attempts]);
    assertEquals(intake[0], ["ok", 2], "the reset was retried under one reservation and one row");
    // The reset attempt may have been billed: booked at the worst case the retry held for it.
    const reset = rows.find((r) => r.agent_id === "intake");
    assertEquals(
      reset.error,
      "1 attempt(s) may have been billed with no answer " +
        "(1 connection lost after the request may have been sent): each booked at its worst case",
    );
    assert(
      reset.cost > reset.reserved / 2 && reset.cost < reset.reserved,
      `${reset.cost} of ${reset.reserved}`,
    );
    assert(intake.slice(1).every(([status, n]) => status === "ok" && n === 1), JSON.stringify(intake));
    const planner = rows.filter((r) => r.agent_id === "planner");
    assertEquals(planner.map((r) => [r.status, r.attempts]), [["api_error", 3]]);
    assertMatch(planner[0].error, /^OverloadedError 529 overloaded_error: /);

    // Before its wait is over, a second run neither loses the workflow nor works it.
    storm = false;
    const second = await runPressroom(cwd, ["run", "--once"], env);
    assertEquals([second.code, second.err], [0, ""]);
    assert(!second.out.includes('"event":"stage"'), second.out);
    const [status] = JSON.parse((await runPressroom(cwd, ["status", "--json"])).out).workflows;
    assertEquals([status.stage, status.status], ["planner", "waiting"]);
    assert(Date.parse(status.waitUntil) > Date.now(), status.waitUntil);
  } finally {
    await server.close();
  }
});

function isEnd(status: string): boolean {
  // Flagged is the simulated editor's own verdict on an article, not a fault: it ends in review/.
  return status === "published" || status === "flagged";
}

/** The simulator, keeping the usage each 200 reported (by request id) for the test to price. */
function recordingUsage(sim: Simulator, reported: Map<string, unknown>): Simulator {
  return {
    ...sim,
    async handle(request) {
      const response = await sim.handle(request);
      if (response.status === 200) {
        try {
          reported.set(response.headers.get("request-id")!, (await response.clone().json()).usage);
        } catch { /* a malformed body reports nothing */ }
      }
      return response;
    },
  };
}
