/**
 * The pipeline end to end for tests: the real SDK over loopback HTTP to the
 * fake Messages API (which checks every request's shape and the key), which
 * answers with the simulated model unless a test script takes the turn.
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { createClient } from "../../src/claude/client.ts";
import {
  AGENT_IDS,
  type AgentId,
  type Config,
  configSchema,
  DEFAULT_MODELS,
} from "../../src/config/schema.ts";
import type { PipelineDeps } from "../../src/pipeline/loop.ts";
import { loadPrompts } from "../../src/pipeline/prompts.ts";
import { realSleep, runScheduler, type SchedulerEvent } from "../../src/scheduler/scheduler.ts";
import type { Workflow } from "../../src/pipeline/store.ts";
import type { ContentState } from "../../src/content/state.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import { createSimulator, type SimulatorOptions } from "../../src/sim/simulator.ts";
import { RECOVERABLE_QUIRKS } from "../../src/sim/quirks.ts";
import { type FakeApi, okReply, type Received, type Reply, startFakeApi } from "../fake_api/server.ts";
import { openStorage, rawDb, tempDir, TEST_KEY } from "../helpers.ts";
import { pgRows } from "../pg_server.ts";
import { assertEquals } from "../assert.ts";
import type { Ledger } from "../../src/ledger/ledger.ts";
import { SharedLedger } from "../../src/ledger/shared_ledger.ts";

/**
 * A turn a test plays instead of the simulator: tool calls, plain text (which ends the turn), or a
 * whole reply as the API could send it (any blocks, stop reason, stop details, usage).
 */
export type Scripted = { calls: { name: string; input: unknown }[] } | { text: string } | {
  reply: ScriptedReply;
};

/** Every field of a reply's body a test may set; the rest (id, model, role) the fake API fills in. */
export interface ScriptedReply {
  content: unknown[];
  stop_reason: string;
  stop_details?: unknown;
  /** Defaults to okReply's: one input token per 4 request bytes, 40 output tokens at most. */
  usage?: unknown;
}

/** Returns the scripted turn for this request, or undefined to let the simulator answer. */
export type Script = (agent: string, request: Received, n: number) => Scripted | undefined;

export interface Harness {
  deps: PipelineDeps;
  api: FakeApi;
  dir: string;
  events: SchedulerEvent[];
  /** Drains ready work; returns the events of this drain. */
  run(): Promise<SchedulerEvent[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: unknown;
  script?: Script;
  sim?: SimulatorOptions;
  now?: () => number;
  /** A shared ledger (PostgreSQL) to share the data folder's with; close() checks that the two agree. */
  ledgerUrl?: string;
  /** The scheduler's sleep (real by default): a fake clock's, to wait without waiting. */
  sleep?: (ms: number, wake: AbortSignal) => Promise<void>;
}

let toolUseCounter = 0;

/** A tool_use block as the API sends it, with an id of its own. */
export function toolUse(
  name: string,
  input: unknown,
): { type: "tool_use"; id: string; name: string; input: unknown } {
  return { type: "tool_use", id: `toolu_test_${++toolUseCounter}`, name, input };
}

export function scriptedReply(request: Received, turn: Scripted): Reply {
  if ("reply" in turn) {
    const { content, stop_reason, stop_details, usage } = turn.reply;
    const reply = okReply(request, { content, stop_reason, usage });
    (reply.body as any).stop_details = stop_details ?? null;
    return reply;
  }
  const content = "text" in turn
    ? [{ type: "text", text: turn.text }]
    : turn.calls.map((c) => toolUse(c.name, c.input));
  return okReply(request, { content, stop_reason: "text" in turn ? "end_turn" : "tool_use" });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await tempDir();
  const now = options.now ?? Date.now;
  const prices = new PriceBook();
  // The quirks that stop a stage for good are off unless a test sets `sim.quirks`: at any rate above zero,
  // a test that expects an article would fail now and then. The others stay on at the profile's rates.
  const sim = createSimulator({ seed: 1, prices, now, quirks: RECOVERABLE_QUIRKS, ...options.sim });
  const api = startFakeApi({
    apiKey: TEST_KEY,
    reply: async (request, n) => {
      const agent = request.headers.get("x-pressroom-agent") ?? "";
      const scripted = options.script?.(agent, request, n);
      if (scripted) return scriptedReply(request, scripted);
      const response = await sim.handle(
        new Request("http://sim.invalid/v1/messages", {
          method: "POST",
          headers: request.headers,
          body: JSON.stringify(request.body),
        }),
      );
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch { /* a malformed body, passed on as it is */ }
      return { status: response.status, body, headers: Object.fromEntries(response.headers) };
    },
  });
  // The simulated Opus costs more per completion than the field report's ($0.3-0.8 against $0.19), and its
  // random mistakes now and then take intake past the default 16 turns, or make four failed turns in a row
  // (Sonnet fails 19 % of its calls): tests get room under the per-workflow cap, the turn limit and the
  // failures in a row unless they set them themselves.
  // A drain returns when nothing is ready, without waiting for retries, unless a test asks it to wait.
  const raw = (options.config ?? {}) as { caps?: object; agents?: Record<string, object>; run?: object };
  const agents = Object.fromEntries(
    AGENT_IDS.map((a) => [a, { maxTurns: 30, maxConsecutiveFailures: 8, ...raw.agents?.[a] }]),
  );
  const config: Config = configSchema.parse({
    ...raw,
    caps: { perWorkflowUsd: 5, ...raw.caps },
    agents,
    run: { onceWaitSeconds: 0, ...raw.run },
  });
  const storage = openStorage({ dataDir: dir, caps: config.caps, now });
  const ledger = storage.ledger;
  if (options.ledgerUrl) {
    ledger.share(
      await SharedLedger.connect({
        target: { url: options.ledgerUrl, from: "test" },
        caps: config.caps,
        machine: "harness",
        now,
      }),
    );
  }
  const events: SchedulerEvent[] = [];
  const deps: PipelineDeps = {
    ledger,
    store: storage.workflows(now),
    prices,
    client: createClient({ apiKey: TEST_KEY, baseURL: api.url, maxRetries: 2 }),
    backend: "sim",
    config,
    prompts: await loadPrompts(undefined),
    dataDir: dir,
    now,
  };
  return {
    deps,
    api,
    dir,
    events,
    async run() {
      const these: SchedulerEvent[] = [];
      await runScheduler({
        deps,
        once: true,
        stopping: new AbortController().signal,
        sleep: options.sleep ?? realSleep,
        onEvent: (e) => {
          these.push(e);
          events.push(e);
        },
      });
      return these;
    },
    async close() {
      try {
        if (options.ledgerUrl) await assertLedgersAgree(ledger, options.ledgerUrl);
      } finally {
        await ledger.close();
        await api.close();
      }
    },
  };
}

/**
 * Every call of the data folder's ledger is in the shared one, booked alike with its tool calls, and nothing
 * is left open there.
 */
async function assertLedgersAgree(ledger: Ledger, url: string): Promise<void> {
  const columns =
    "id, status, stop_reason, cost_nano_usd, reserved_nano_usd, tool_calls_made, turn, attempts";
  const local = rawDb(ledger).prepare(`SELECT ${columns} FROM ai_call_log ORDER BY id`).all()
    .map((r) => ({ ...r }));
  const shared = (await pgRows(url, `SELECT ${columns} FROM ai_call_log ORDER BY id`)).map((r) => ({
    ...r,
    cost_nano_usd: Number(r.cost_nano_usd),
    reserved_nano_usd: Number(r.reserved_nano_usd),
  }));
  assertEquals(shared, local, "the shared ledger books every call as the data folder's does");
  const tools = "call_id, agent_id, model, turn, tool, outcome, message";
  assertEquals(
    await pgRows(url, `SELECT ${tools} FROM tool_call ORDER BY call_id, n`),
    rawDb(ledger).prepare(`SELECT ${tools} FROM tool_call ORDER BY call_id, id`).all().map((r) => ({ ...r })),
    "and every tool call with it",
  );
  assertEquals(await pgRows(url, "SELECT COUNT(*)::int AS n FROM reservation"), [{ n: 0 }]);
}

/** Every tool call the ledger recorded, as [agent, tool, outcome]. */
export function toolCalls(deps: PipelineDeps, workflowId: string): [string, string, string][] {
  return (rawDb(deps.ledger).prepare(
    "SELECT agent_id, tool, outcome FROM tool_call WHERE workflow_instance_id = ? ORDER BY id",
  ).all(workflowId) as any[]).map((r) => [r.agent_id, r.tool, r.outcome]);
}

/** The request of the same workflow that followed the n-th request to the fake API: what a reply led to. */
export function requestAfter(api: FakeApi, n: number): Received | undefined {
  const workflow = api.requests[n]?.headers.get("x-pressroom-workflow");
  return api.requests.slice(n + 1).find((r) => r.headers.get("x-pressroom-workflow") === workflow);
}

/** A workflow created at `stage` with `state` laid over the empty one: a test of one stage needs no others. */
export function workflowAt(
  deps: PipelineDeps,
  topic: string,
  stage: AgentId,
  state: Partial<ContentState>,
): Workflow {
  const created = deps.store.create({ topic }, DEFAULT_MODELS);
  deps.store.update(created.id, { stage, state: { ...created.state, ...state } });
  return deps.store.get(created.id);
}
