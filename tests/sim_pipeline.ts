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
import { AGENT_IDS, type AgentId, configSchema } from "../src/config/schema.ts";
import { PriceBook } from "../src/models/price_book.ts";
import type { PipelineDeps } from "../src/pipeline/loop.ts";
import { loadPrompts } from "../src/pipeline/prompts.ts";
import { WorkflowStore } from "../src/pipeline/store.ts";
import { buildReport } from "../src/report/report.ts";
import { ReportQueries } from "../src/report/queries.ts";
import { realSleep, runScheduler } from "../src/scheduler/scheduler.ts";
import { createSimulator } from "../src/sim/simulator.ts";
import { ulid } from "../src/ids.ts";

/** Rewrites a request body on its way to the simulated model (an older request layout, say). */
export type Transform = (body: any) => any;

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
}

/** The models each new workflow pins: the config's, agent by agent. */
function modelsOf(config: { agents: Record<AgentId, { model: string }> }): Record<AgentId, string> {
  return Object.fromEntries(AGENT_IDS.map((a) => [a, config.agents[a].model])) as Record<AgentId, string>;
}

/** Workflow i's id when ids are fixed: one millisecond apart from a fixed instant, zero random part. */
export function fixedId(i: number): string {
  return ulid(Date.UTC(2026, 0, 1) + i).slice(0, 10) + "0".repeat(16);
}

/** N workflows through the whole pipeline in this process; the model answers after `latencyMs`. */
export async function runPipeline(options: PipelineRun): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "pressroom-bench-" });
  const prices = new PriceBook();
  const sim = createSimulator({ seed: options.seed ?? 2, prices });
  let simMs = 0;
  const fetch: typeof globalThis.fetch = async (input, init) => {
    let request = new Request(input as RequestInfo, init);
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
  const config = configSchema.parse(
    options.config ?? { caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 } },
  );
  const ledger = openStorage({ dataDir: dir, caps: config.caps }).ledger;
  const deps: PipelineDeps = {
    ledger,
    store: new WorkflowStore(rawDb(ledger)),
    prices,
    client: createClient({ apiKey: "simulated", baseURL: "http://sim.invalid", fetch, maxRetries: 0 }),
    backend: "sim",
    config,
    prompts: await loadPrompts(undefined),
    dataDir: dir,
    now: Date.now,
  };
  const since = Date.now();
  for (let i = 0; i < options.workflows; i++) {
    const topic = options.topics ? options.topics[i % options.topics.length] : `Benchmark topic number ${i}`;
    deps.store.create({ topic }, modelsOf(config), options.fixedIds ? { id: fixedId(i) } : undefined);
  }
  const started = performance.now();
  await runScheduler({ deps, once: true, stopping: new AbortController().signal, sleep: realSleep });
  const wallMs = performance.now() - started;
  const calls = rawDb(ledger).prepare("SELECT agent_id, COUNT(*) AS n FROM ai_call_log GROUP BY agent_id")
    .all() as any[];
  const report = buildReport(new ReportQueries(rawDb(ledger)), { since, prices, caps: config.caps })[0];
  const tokens = rawDb(ledger).prepare(
    `SELECT SUM(cache_write_tokens) AS written,
            SUM(input_tokens + cache_read_tokens + cache_write_tokens) AS prompt FROM ai_call_log`,
  ).get() as { written: number; prompt: number };
  const published = deps.store.list().filter((w) => w.status === "published").length;
  const stages = stagesFromCalls(
    rawDb(ledger).prepare(
      "SELECT workflow_instance_id AS workflow, agent_id AS agent FROM ai_call_log ORDER BY workflow, ts, turn",
    ).all() as unknown as { workflow: string; agent: string }[],
  );
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
  };
}
