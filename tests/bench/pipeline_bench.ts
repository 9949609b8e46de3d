/**
 * Pipeline benchmarks on the simulated model, as rows of the bench table:
 * - orchestration: time per agent turn spent outside the model (prompt render,
 *   tool validation and apply, ledger, SDK), the model answering at once;
 * - throughput: workflows at a fixed latency per call, against the
 *   zero-overhead schedule of the same stages under the same pools;
 * - cache: stable-block hit rate and cost per completion with and without
 *   cache segmentation, and with 5m against 1h TTLs;
 * - memory: peak RSS of `run`, idle and with 50 workflows in flight.
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import type { BenchRow } from "./table.ts";
import { pressroomArgs } from "../helpers.ts";
import { idealMakespan, poolBound } from "./ideal_schedule.ts";
import { AGENT_IDS } from "../../src/config/schema.ts";
import { createSimulator } from "../../src/sim/simulator.ts";
import { serveSimulator } from "../../src/sim/server.ts";
import { runPipeline, type Transform } from "../sim_pipeline.ts";

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

/** Orchestration: the model answers at once; what is left of each turn is ours. */
export async function orchestrationBench(workflows = 20): Promise<BenchRow[]> {
  const r = await runPipeline({ workflows });
  const perTurn = (r.wallMs - r.simMs) / r.calls;
  return [{
    benchmark: "orchestration",
    figure: `time per turn outside the model (${r.calls} turns, ${r.published}/${workflows} published)`,
    target: "≤ 2 ms",
    measured: `${perTurn.toFixed(2)} ms`,
    met: perTurn <= 2,
  }];
}

/** Throughput: a fixed latency per call, against the zero-overhead schedule of the same work. */
export async function throughputBench(
  options: { workflows: number; latencyMs: number },
): Promise<BenchRow[]> {
  const { workflows, latencyMs } = options;
  const pools: Record<string, number> = {
    intake: 4,
    planner: 2,
    researcher: 4,
    writer: 6,
    editor: 2,
    publisher: 2,
  };
  const maxConcurrent = 20;
  const config = {
    caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
    agents: Object.fromEntries(Object.entries(pools).map(([a, pool]) => [a, { pool }])),
    run: { maxConcurrent },
  };
  const r = await runPipeline({ workflows, latencyMs, config });
  const work = { workflows: r.stages, pools, maxConcurrent, latencyMs };
  const ideal = idealMakespan(work);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [{
    benchmark: "throughput",
    figure:
      `${workflows} workflows (${r.published} published, ${r.calls} calls), ${latencyMs} ms per call, pools ${
        Object.values(pools).join("/")
      }, at most ${maxConcurrent} at once: the zero-overhead schedule of the same stages against wall time`,
    target: "≥ 95 % of ideal",
    measured: `${(ideal / r.wallMs * 100).toFixed(1)} % (${s(r.wallMs)} against ${s(ideal)}; pools' bound ${
      s(poolBound(work))
    })`,
    met: ideal / r.wallMs >= 0.95,
  }];
}

/** Cache: segmentation and TTL on a reference workload. */
/** The layout before the fourth breakpoint: only the newest message block carries one. */
const noPreviousEnd: Transform = (body) => {
  const last = body.messages.length - 1;
  return {
    ...body,
    messages: body.messages.map((m: any, i: number) =>
      typeof m.content === "string" ? m : {
        ...m,
        content: m.content.map(({ cache_control, ...b }: any, j: number) =>
          i === last && j === m.content.length - 1 ? { ...b, cache_control } : b
        ),
      }
    ),
  };
};

/** Web search offered to every agent, so that all share one tools list (and one cached prefix). */
const searchForAll: Transform = (body) =>
  body.tools.some((t: any) => t.type === "web_search_20250305")
    ? body
    : { ...body, tools: [...body.tools, { type: "web_search_20250305", name: "web_search", max_uses: 3 }] };

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export async function cacheBench(workflows = 10): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const search = { researcher: { webSearch: { enabled: true } } };
  const variants: [string, string, Transform | undefined, Record<string, object>?][] = [
    ["segmented, 5m", "5m", undefined],
    ["segmented, 1h", "1h", undefined],
    ["one block, 5m", "5m", unsegmented],
    ["one block, 1h", "1h", unsegmented],
    ["segmented, 5m, no breakpoint where the previous request ended", "5m", noPreviousEnd],
    ["researcher with web search, its own tools list", "5m", undefined, search],
    ["researcher with web search, one tools list for every agent", "5m", searchForAll, search],
  ];
  for (const [label, ttl, transform, agents = {}] of variants) {
    const config = {
      caps: { dailyUsd: 1e6, perModelDailyUsd: {}, perWorkflowUsd: 1e3 },
      agents: Object.fromEntries(AGENT_IDS.map((a) => [a, { cacheTtl: ttl, ...agents[a] }])),
    };
    const r = await runPipeline({ workflows, config, transform, latencyMs: 0 });
    const segmented = transform === undefined;
    rows.push({
      benchmark: "cache",
      figure: `${label}: calls that read the stable blocks; prompt tokens read / written; cost per ` +
        `completion (${workflows} workflows)`,
      target: segmented ? "≥ 95 %" : "",
      measured: `${pct(r.report.cache.stableHitRate)} of ${r.report.cache.calls} calls; ${
        pct(r.report.cache.tokenHitRate)
      } / ${pct(r.writeShare)}; $${r.report.completions.meanUsd.toFixed(4)}`,
      met: segmented ? r.report.cache.stableHitRate >= 0.95 : undefined,
    });
  }
  return rows;
}

/** Peak memory of `pressroom run` as a process under the binary's permission set. */
interface Rss {
  /** Peak resident set, MiB. */
  peak: number;
  /** Resident now: private memory and mapped files (mostly the deno executable), MiB. */
  anon: number;
  file: number;
}

async function runRss(inbox: number, seconds: number): Promise<Rss> {
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
  const child = new Deno.Command(Deno.execPath(), {
    args: pressroomArgs(["run"]),
    cwd,
    env: { ANTHROPIC_API_KEY: "sk-ant-bench-0123456789", ANTHROPIC_BASE_URL: server.url },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const status = await procStatus(child.pid);
  child.kill("SIGKILL");
  await child.status;
  await server.close();
  await Deno.remove(cwd, { recursive: true });
  return { peak: status.VmHWM, anon: status.RssAnon, file: status.RssFile };
}

/** /proc/<pid>/status sizes in MiB. Reading /proc directly needs every permission; `cat` needs only `run`. */
async function procStatus(pid: number): Promise<Record<string, number>> {
  const text = new TextDecoder().decode(
    (await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output()).stdout,
  );
  return Object.fromEntries(
    [...text.matchAll(/^(\w+):\s+(\d+) kB$/gm)].map((m) => [m[1], Number(m[2]) / 1024]),
  );
}

/** The same `deno` running a script that only waits: what the runtime itself takes. */
async function runtimeRss(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "await new Promise((r) => setTimeout(r, 2000))"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, 1000));
  const status = await procStatus(child.pid);
  child.kill("SIGKILL");
  await child.status;
  return status.VmHWM;
}

export async function memoryBench(): Promise<BenchRow[]> {
  const runtime = await runtimeRss();
  const mib = (x: number) => `${x.toFixed(0)} MiB`;
  const describe = (r: Rss) => `${mib(r.peak)} (now ${mib(r.anon)} private + ${mib(r.file)} mapped files)`;
  const idle = await runRss(0, 3);
  const busy = await runRss(50, 8);
  return [
    {
      benchmark: "memory",
      figure: `peak RSS of run under deno run, idle (deno itself, running an empty script: ${mib(runtime)})`,
      target: "≤ 60 MB",
      measured: describe(idle),
      met: idle.peak * 1.048576 <= 60,
    },
    {
      benchmark: "memory",
      figure: "peak RSS of run under deno run, 50 workflows in flight",
      target: "≤ 150 MB",
      measured: describe(busy),
      met: busy.peak * 1.048576 <= 150,
    },
  ];
}
