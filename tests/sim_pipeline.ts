/**
 * Workflows through the whole pipeline in this process, on the simulated model through the real SDK (its
 * `fetch` option), with the report built from the ledger they leave. The benchmarks and the reference
 * workload run on it.
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { openStorage, rawDb } from "./helpers.ts";
import { stagesFromCalls, type StageWork } from "./bench/ideal_schedule.ts";
import { createClient } from "../src/claude/client.ts";
import { configSchema } from "../src/config/schema.ts";
import { PriceBook } from "../src/models/price_book.ts";
import type { PipelineDeps } from "../src/pipeline/loop.ts";
import { loadPrompts } from "../src/pipeline/prompts.ts";
import { newWorkflowId, WorkflowStore } from "../src/pipeline/store.ts";
import { modelPlan, pinModels } from "../src/pipeline/canary.ts";
import { buildReport } from "../src/report/report.ts";
import { ReportQueries } from "../src/report/queries.ts";
import { realSleep, runScheduler } from "../src/scheduler/scheduler.ts";
import { createSimulator } from "../src/sim/simulator.ts";
import type { BatchPlan } from "../src/sim/batches.ts";
import type { QuirkOption } from "../src/sim/quirks.ts";
import { ulid } from "../src/ids.ts";
import type { Ledger } from "../src/ledger/ledger.ts";
import { DAY_MS } from "../src/ledger/period.ts";

/** Rewrites a request body on its way to the simulated model (an older request layout, say). */
export type Transform = (body: any) => any;

/**
 * Looks at each request before the model does, with the ledger, and may answer it instead (a cap check
 * that is not Pressroom's own, say).
 */
export type Gate = (ledger: Ledger, now: number) => Response | undefined;

/**
 * A simulated day on a fake clock: workflow i arrives at `start + arrivalsMs[i]`, and the scheduler runs as
 * `pressroom run` does (agents woken by their cron expressions and by handoffs) until every workflow is
 * finished. Model calls take no simulated time; the clock moves only while nothing runs.
 */
export interface Day {
  /** Epoch ms the day starts at. */
  start: number;
  /** When each workflow arrives, ms after `start`, in order. */
  arrivalsMs: number[];
}

export interface RunResult {
  wallMs: number;
  simMs: number;
  calls: number;
  callsByAgent: Record<string, number>;
  report: ReturnType<typeof buildReport>[number];
  published: number;
  /** Each workflow's stages and their calls, for the ideal schedule. */
  stages: StageWork[][];
  /** Prompt tokens written to the cache, over all prompt tokens. */
  writeShare: number;
  /** On a simulated day: ms from its start to the last workflow's end. */
  lastCompletionMs?: number;
  /** The most the ledger recorded for any one UTC day, USD. */
  maxDaySpendUsd: number;
}

export interface PipelineRun {
  workflows: number;
  /** The model answers after this long, ms. */
  latencyMs?: number;
  /** pressroom.json as a test writes it; generous caps when absent. */
  config?: unknown;
  transform?: Transform;
  /** The simulator's seed (2 when absent). */
  seed?: number;
  /** Workflow i asks for `topics[i % topics.length]`; numbered topics when absent. */
  topics?: string[];
  /**
   * Workflow ids from a fixed clock, so that the same seed gives the same run: the simulator seeds each
   * request from its workflow id. Fresh ULIDs when false.
   */
  fixedIds?: boolean;
  /** Run the workflows through a simulated day instead of draining them at once. */
  day?: Day;
  gate?: Gate;
  /** How the simulated model's Message Batches behave. */
  batches?: BatchPlan;
  /** The live API's quirks as the simulated model plays them (its profiles' rates when absent). */
  quirks?: QuirkOption;
  /** Looks at the ledger when the run is over, before it is closed. */
  inspect?: (ledger: Ledger) => void;
}

/** Workflow i's id when ids are fixed: one millisecond apart from a fixed instant, zero random part. */
export function fixedId(i: number): string {
  return ulid(Date.UTC(2026, 0, 1) + i).slice(0, 10) + "0".repeat(16);
}

/** N workflows through the whole pipeline in this process; the model answers after `latencyMs`. */
export async function runPipeline(options: PipelineRun): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "pressroom-bench-" });
  const prices = new PriceBook();
  const clock = { ms: options.day?.start ?? 0 };
  const now = options.day ? () => clock.ms : Date.now;
  const timers = new SimTimers(clock);
  // On a simulated day the model takes its profile's latency, on the fake clock.
  const sim = createSimulator({
    seed: options.seed ?? 2,
    prices,
    now,
    batches: options.batches,
    quirks: options.quirks,
    ...(options.day ? { latencyScale: 1, sleep: (ms: number) => timers.sleep(ms) } : {}),
  });
  let simMs = 0;
  const config = configSchema.parse(
    options.config ?? { caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 } },
  );
  const ledger = openStorage({ dataDir: dir, caps: config.caps, now }).ledger;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    let request = new Request(input as RequestInfo, init);
    const refused = options.gate?.(ledger, now());
    if (refused) return refused;
    if (options.transform) {
      const body = options.transform(await request.json());
      request = new Request(request.url, {
        method: "POST",
        headers: request.headers,
        body: JSON.stringify(body),
      });
    }
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    const started = performance.now();
    const response = await sim.handle(request);
    const text = await response.text();
    simMs += performance.now() - started;
    return new Response(text, { status: response.status, headers: response.headers });
  };
  const deps: PipelineDeps = {
    ledger,
    store: new WorkflowStore(rawDb(ledger), now),
    prices,
    client: createClient({ apiKey: "simulated", baseURL: "http://sim.invalid", fetch, maxRetries: 0 }),
    backend: "sim",
    config,
    prompts: await loadPrompts(undefined),
    dataDir: dir,
    now,
  };
  const since = options.day?.start ?? Date.now();
  const create = (i: number) => {
    const topic = options.topics ? options.topics[i % options.topics.length] : `Benchmark topic number ${i}`;
    // Pinned as createWorkflow pins them: each agent's model, or its canary's where the id draws it.
    const id = options.fixedIds ? fixedId(i) : newWorkflowId(deps.store.now());
    const { models, arms } = pinModels(id, modelPlan(config.agents));
    deps.store.create({ topic }, models, { id, arms });
  };
  const started = performance.now();
  if (options.day) {
    await runDay(deps, options.day, { count: options.workflows, create, clock, timers });
  } else {
    for (let i = 0; i < options.workflows; i++) create(i);
    await runScheduler({ deps, once: true, stopping: new AbortController().signal, sleep: realSleep });
  }
  const wallMs = performance.now() - started;
  const calls = rawDb(ledger).prepare("SELECT agent_id, COUNT(*) AS n FROM ai_call_log GROUP BY agent_id")
    .all() as any[];
  const report = buildReport(new ReportQueries(rawDb(ledger)), { since, prices, caps: config.caps })[0];
  const tokens = rawDb(ledger).prepare(
    `SELECT SUM(cache_write_tokens) AS written,
            SUM(input_tokens + cache_read_tokens + cache_write_tokens) AS prompt FROM ai_call_log`,
  ).get() as { written: number; prompt: number };
  const published = deps.store.list().filter((w) => w.status === "published").length;
  const ends = deps.store.statuses().filter((w) => w.status === "published").map((w) => w.updatedTs);
  const days = rawDb(ledger).prepare(
    `SELECT SUM(usd_cost) AS usd FROM ai_call_log GROUP BY ts / ${DAY_MS}`,
  ).all() as { usd: number }[];
  const stages = stagesFromCalls(
    rawDb(ledger).prepare(
      "SELECT workflow_instance_id AS workflow, agent_id AS agent FROM ai_call_log ORDER BY workflow, ts, turn",
    ).all() as unknown as { workflow: string; agent: string }[],
  );
  options.inspect?.(ledger);
  ledger.close();
  await Deno.remove(dir, { recursive: true });
  return {
    wallMs,
    simMs,
    calls: calls.reduce((n, r) => n + r.n, 0),
    callsByAgent: Object.fromEntries(calls.map((r) => [r.agent_id, r.n])),
    report,
    published,
    stages,
    writeShare: tokens.written / tokens.prompt,
    lastCompletionMs: options.day && ends.length ? Math.max(...ends) - options.day.start : undefined,
    maxDaySpendUsd: Math.max(0, ...days.map((d) => d.usd)),
  };
}

/** Timers on the fake clock: a model call's latency, resolved when the clock reaches it. */
class SimTimers {
  #pending: { at: number; resolve: () => void }[] = [];
  constructor(readonly clock: { ms: number }) {}
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#pending.push({ at: this.clock.ms + ms, resolve }));
  }
  /** Calls waiting on the model. */
  get waiting(): number {
    return this.#pending.length;
  }
  get next(): number {
    return Math.min(...this.#pending.map((t) => t.at));
  }
  /** Moves the clock to `to` and resolves the timers due by then. */
  advance(to: number): void {
    this.clock.ms = Math.max(this.clock.ms, to);
    const due = this.#pending.filter((t) => t.at <= this.clock.ms);
    this.#pending = this.#pending.filter((t) => t.at > this.clock.ms);
    for (const t of due) t.resolve();
  }
}

/**
 * `pressroom run` through a simulated day: arrivals are created when the clock reaches them, and the
 * clock moves only when every running stage waits on the model (or none runs): to the next model reply,
 * arrival, or the scheduler's own wake, whichever comes first.
 */
async function runDay(
  deps: PipelineDeps,
  day: Day,
  { count, create, clock, timers }: {
    count: number;
    create: (i: number) => void;
    clock: { ms: number };
    timers: SimTimers;
  },
): Promise<void> {
  const stopping = new AbortController();
  let created = 0;
  let running = 0;
  // Stages run between a claim and its release: count them, to know when the clock may move.
  const store = deps.store;
  const claim = store.claim.bind(store);
  const release = store.release.bind(store);
  store.claim = (...args) => claim(...args) && ++running > 0;
  store.release = (...args) => {
    release(...args);
    running--;
  };
  const nextArrival =
    () => (created < count ? day.start + day.arrivalsMs[created] : Number.POSITIVE_INFINITY);
  const finished = () =>
    created === count && store.statuses().every((w) => w.status !== "ready" && w.status !== "waiting");
  const limit = day.start + 7 * DAY_MS;
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  await runScheduler({
    deps,
    once: false,
    stopping: stopping.signal,
    beforePass: () => {
      while (nextArrival() <= clock.ms) create(created++);
      if ((running === 0 && finished()) || clock.ms > limit) stopping.abort();
      return Promise.resolve();
    },
    sleep: async (ms, wake) => {
      const until = Math.min(clock.ms + ms, Math.max(clock.ms, nextArrival()));
      while (!wake.aborted) {
        // A stage between calls (its tools, its files) still works: let it.
        if (timers.waiting < running) {
          await tick();
          continue;
        }
        if (timers.waiting && timers.next <= until) {
          timers.advance(timers.next);
          await tick();
          continue;
        }
        timers.advance(until);
        return;
      }
    },
  });
}
