/**
 * Pipeline benchmarks on the simulated model, printed as one table:
 * - orchestration: time per agent turn spent outside the model (prompt render,
 *   tool validation and apply, ledger, SDK), the model answering at once;
 * - throughput: workflows at a fixed latency per call, against the lower bound
 *   the pool sizes allow;
 * - cache: stable-block hit rate and cost per completion with and without
 *   cache segmentation, and with 5m against 1h TTLs;
 * - memory: peak RSS of `run`, idle and with 50 workflows in flight.
 *
 *   deno run -P=tests tests/bench/pipeline_bench.ts [--workflows 60] [--latency 100]
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import { parseArgs } from "node:util";
import { createClient } from "../../src/claude/client.ts";
import { AGENT_IDS, configSchema } from "../../src/config/schema.ts";
import { Ledger } from "../../src/ledger/ledger.ts";
import { PriceBook } from "../../src/models/price_book.ts";
import type { PipelineDeps } from "../../src/pipeline/loop.ts";
import { loadPrompts } from "../../src/pipeline/prompts.ts";
import { WorkflowStore } from "../../src/pipeline/store.ts";
import { buildReport } from "../../src/report/report.ts";
import { realSleep, runScheduler } from "../../src/scheduler/scheduler.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { workflows: { type: "string", default: "60" }, latency: { type: "string", default: "100" } },
});

type Transform = (body: any) => any;

interface RunResult {
  wallMs: number;
  simMs: number;
  calls: number;
  callsByAgent: Record<string, number>;
  report: ReturnType<typeof buildReport>[number];
  published: number;
}

/** N workflows through the whole pipeline in this process; the model answers after `latencyMs`. */
async function runPipeline(options: {
  workflows: number;
  latencyMs?: number;
  config?: unknown;
  transform?: Transform;
}): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "pressroom-bench-" });
  const prices = new PriceBook();
  const sim = createSimulator({ seed: 2, prices });
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
  const ledger = Ledger.open({ dataDir: dir, caps: config.caps });
  const deps: PipelineDeps = {
    ledger,
    store: new WorkflowStore(ledger.db),
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
    deps.store.create(
      { topic: `Benchmark topic number ${i}` },
      Object.fromEntries(AGENT_IDS.map((a) => [a, config.agents[a].model])) as any,
    );
  }
  const started = performance.now();
  await runScheduler({ deps, once: true, stopping: new AbortController().signal, sleep: realSleep });
  const wallMs = performance.now() - started;
  const calls = ledger.db.prepare("SELECT agent_id, COUNT(*) AS n FROM ai_call_log GROUP BY agent_id")
    .all() as any[];
  const report = buildReport(ledger.db, { since, prices, caps: config.caps })[0];
  const published = deps.store.list().filter((w) => w.status === "published").length;
  ledger.close();
  await Deno.remove(dir, { recursive: true });
  return {
    wallMs,
    simMs,
    calls: calls.reduce((n, r) => n + r.n, 0),
    callsByAgent: Object.fromEntries(calls.map((r) => [r.agent_id, r.n])),
    report,
    published,
  };
}

/** The request as it was before segmentation: stable and volatile text in one cached system block. */
const unsegmented: Transform = (body) => {
  const ttl = body.system[0].cache_control.ttl;
  const volatile = body.messages[0].content[0].text;
  const strip = (m: any) => ({
    ...m,
    content: typeof m.content === "string"
      ? m.content
      : m.content.map(({ cache_control: _, ...b }: any) => b),
  });
  return {
    ...body,
    system: [{
      type: "text",
      text: [...body.system.map((b: any) => b.text), volatile].join("\n\n"),
      cache_control: { type: "ephemeral", ttl },
    }],
    messages: [
      { role: "user", content: [{ type: "text", text: "Work on the workflow described above." }] },
      ...body.messages.slice(1).map(strip),
    ],
  };
};

const rows: string[][] = [["benchmark", "figure", "target", "measured"]];
const row = (name: string, figure: string, target: string, measured: string) =>
  rows.push([name, figure, target, measured]);

// Orchestration: the model answers at once; what is left is ours.
{
  const r = await runPipeline({ workflows: 20 });
  const perTurn = (r.wallMs - r.simMs) / r.calls;
  row(
    "orchestration",
    `time per turn outside the model (${r.calls} turns, ${r.published}/20 published)`,
    "≤ 2 ms",
    `${perTurn.toFixed(2)} ms`,
  );
}

// Throughput: a fixed latency per call against the lower bound the pools allow.
{
  const n = Number(values.workflows);
  const latency = Number(values.latency);
  const pools = { intake: 4, planner: 2, researcher: 4, writer: 6, editor: 2, publisher: 2 } as Record<
    string,
    number
  >;
  const maxConcurrent = 20;
  const config = {
    caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
    agents: Object.fromEntries(Object.entries(pools).map(([a, pool]) => [a, { pool }])),
    run: { maxConcurrent },
  };
  const r = await runPipeline({ workflows: n, latencyMs: latency, config });
  const perAgent = Object.entries(r.callsByAgent).map(([a, calls]) => calls * latency / pools[a]);
  const ideal = Math.max(...perAgent, r.calls * latency / maxConcurrent);
  row(
    "throughput",
    `${n} workflows, ${latency} ms per call, pools ${
      Object.values(pools).join("/")
    }, at most ${maxConcurrent} at once`,
    "≥ 95 % of ideal",
    `${(ideal / r.wallMs * 100).toFixed(1)} % (${(r.wallMs / 1000).toFixed(1)} s, bound ${
      (ideal / 1000).toFixed(1)
    } s)`,
  );
}

// Cache: segmentation and TTL on a reference workload.
for (
  const [label, ttl, transform] of [["segmented, 5m", "5m", undefined], ["segmented, 1h", "1h", undefined], [
    "one block, 5m",
    "5m",
    unsegmented,
  ], ["one block, 1h", "1h", unsegmented]] as [string, string, Transform | undefined][]
) {
  const config = {
    caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
    agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { cacheTtl: ttl }])),
  };
  const r = await runPipeline({ workflows: 10, config, transform, latencyMs: 0 });
  row(
    "cache",
    `${label}: stable blocks read; cost per completion (10 workflows)`,
    label.startsWith("segmented") ? "≥ 95 %" : "",
    `${(r.report.cache.stableHitRate * 100).toFixed(1)} % of ${r.report.cache.calls} calls; $${
      r.report.completions.meanUsd.toFixed(4)
    }`,
  );
}

// Memory: `run` as a process, idle and with 50 workflows in flight.
async function peakRss(inbox: number, seconds: number): Promise<number> {
  const server = serveSimulator(createSimulator({ seed: 3, latencyScale: 1 }));
  const cwd = await Deno.makeTempDir({ prefix: "pressroom-bench-" });
  await Deno.mkdir(`${cwd}/pressroom-data/inbox`, { recursive: true });
  await Deno.writeTextFile(
    `${cwd}/pressroom.json`,
    JSON.stringify({
      run: { maxConcurrent: 60 },
      agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { pool: 50 }])),
    }),
  );
  for (let i = 0; i < inbox; i++) {
    await Deno.writeTextFile(`${cwd}/pressroom-data/inbox/${i}.txt`, `Topic ${i}`);
  }
  const root = new URL("../../", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=pressroom", "--config", `${root}deno.json`, `${root}src/main.ts`, "run"],
    cwd,
    env: { ANTHROPIC_API_KEY: "sk-ant-bench-0123456789", ANTHROPIC_BASE_URL: server.url },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  // Reading /proc directly needs every permission; `cat` needs only `run`.
  const status = new TextDecoder().decode(
    (await new Deno.Command("cat", { args: [`/proc/${child.pid}/status`] }).output()).stdout,
  );
  child.kill("SIGKILL");
  await child.status;
  await server.close();
  await Deno.remove(cwd, { recursive: true });
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}
row("memory", "peak RSS of run, idle", "≤ 60 MB", `${(await peakRss(0, 3)).toFixed(0)} MiB`);
row(
  "memory",
  "peak RSS of run, 50 workflows in flight",
  "≤ 150 MB",
  `${(await peakRss(50, 8)).toFixed(0)} MiB`,
);

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`machine: ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`);
for (const r of rows) console.log("| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |");
