/**
 * `pressroom demo [--workflows N] [--seed S] [--batch]`: the whole pipeline offline, on
 * the simulated model through the real SDK (its `fetch` option), no API key,
 * no network. Ends with cost per completion, tool accuracy per agent and
 * model, and cache hit rate. Everything it records is marked `sim`.
 * @module
 */
import { createClient } from "../claude/client.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { formatUsd, usdToNano } from "../pricing/money.ts";
import { AGENT_IDS } from "../config/schema.ts";
import { createWorkflow } from "../pipeline/create_workflow.ts";
import { type BackendReport, buildReport } from "../report/report.ts";
import { createSimulator } from "../sim/simulator.ts";
import type { Parsed } from "./args.ts";
import { configFrom } from "./context.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Io } from "./io.ts";
import { currentModels, pipelineContext } from "./pipeline_context.ts";
import { drainReady } from "../daemon/daemon.ts";
import { createLog, parseLogFormat } from "../daemon/log.ts";
import { pausedText } from "../daemon/left_line.ts";
import { table } from "./table.ts";

export const demoOptions = {
  workflows: { type: "string" },
  seed: { type: "string" },
  batch: { type: "boolean" },
  log: { type: "string" },
} as const;

export const DEMO_REQUESTS = [
  {
    topic: "How to keep a sourdough starter alive on a busy schedule",
    notes: "See https://example.org/sourdough-basics",
  },
  {
    topic: "What a heat pump costs to run in a cold climate",
    notes: "Sources: https://example.org/heat-pumps",
  },
  { topic: "Choosing a first mechanical keyboard", notes: "Audience: office workers who type all day." },
  { topic: "Why tide tables differ between nearby harbours", notes: "https://example.org/tides" },
  { topic: "Backing up a small business laptop fleet", notes: "Budget: under $20 per machine per month." },
];

function positiveInt(value: string | undefined, fallback: number, flag: string, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`demo: ${flag} must be a whole number from 1 to ${max}`);
  }
  return n;
}

export async function demoCommand(parsed: Parsed, io: Io): Promise<number> {
  const count = positiveInt(parsed.values.workflows as string | undefined, 3, "--workflows", 200);
  const seed = positiveInt(parsed.values.seed as string | undefined, 1, "--seed", 2 ** 31);
  const configured = await configFrom(parsed, io);
  const batch = parsed.values.batch === true;
  const loaded = batch ? withBatches(configured) : configured;
  const sim = createSimulator({ seed, prices: loaded.prices, now: io.now });
  // The key is never sent anywhere: the simulator answers in process.
  const client = createClient({
    apiKey: "simulated",
    baseURL: "http://simulated.pressroom.invalid",
    fetch: sim.fetch,
  });
  const context = await pipelineContext(loaded, io, { kind: "sim", client });
  const { deps } = context;
  try {
    if (deps.ledger.hasCalls("anthropic")) {
      // Its workflows would be worked on the simulated model, and the demo's mixed into its reports.
      throw new UserInputError(
        `demo: ${loaded.dataDir} holds real API work; the demo would work its workflows on the simulated ` +
          "model. Run the demo in another folder: pressroom demo --data ./pressroom-demo",
      );
    }
    const since = io.now();
    for (let i = 0; i < count; i++) {
      const request = DEMO_REQUESTS[i % DEMO_REQUESTS.length];
      await createWorkflow({ ...deps, dataDir: loaded.dataDir }, request, currentModels(loaded));
    }
    io.out(
      `demo: ${count} workflows on the simulated model (seed ${seed})${
        batch ? ", every agent's turns through Message Batches" : ""
      }, data in ${loaded.dataDir}`,
    );
    const log = createLog(io, parseLogFormat(parsed.values.log as string | undefined, true), false);
    const result = await drainReady(deps, (event) => log.stage(event));
    for (const p of result.paused) io.out(pausedText(p));
    io.out(result.left.text);
    printSummary(
      io,
      buildReport(context.reports, {
        since,
        prices: loaded.prices,
        caps: loaded.config.caps,
      }),
    );
    return 0;
  } finally {
    await context.close();
  }
}

/**
 * The config with every agent sending its turns through Message Batches, polled every second: the
 * simulated batches end at once, so the demo still takes seconds.
 */
function withBatches(loaded: LoadedConfig): LoadedConfig {
  const agents = Object.fromEntries(
    Object.entries(loaded.config.agents).map(([id, agent]) => [id, { ...agent, batch: true }]),
  ) as LoadedConfig["config"]["agents"];
  return {
    ...loaded,
    config: { ...loaded.config, agents, run: { ...loaded.config.run, batchPollSeconds: 1 } },
  };
}

function printSummary(io: Io, reports: BackendReport[]): void {
  const s = reports.find((r) => r.simulated);
  if (!s) return;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const usd = (x: number) => formatUsd(usdToNano(x));
  const c = s.completions;
  io.out("");
  io.out(`Simulated results (not real API spend):`);
  io.out(
    `cost per completion: mean ${usd(c.meanUsd)}, p50 ${usd(c.p50Usd)}, p90 ${
      usd(c.p90Usd)
    } over ${c.count} published`,
  );
  const order = (a: string) => AGENT_IDS.indexOf(a as never);
  const rows = [
    ["agent", "model", "tool calls", "ok", "wrong tool", "malformed", "logic"],
    ...[...s.agents].sort((a, b) => order(a.agent) - order(b.agent)).map((t) => [
      t.agent,
      t.model,
      String(t.toolCalls),
      pct(t.toolAccuracy),
      String(t.failures.wrong_tool),
      String(t.failures.malformed_args),
      String(t.failures.logic_error),
    ]),
  ];
  for (const line of table(rows, ["l", "l"])) io.out(line);
  io.out(
    `cache hit rate: ${pct(s.cache.tokenHitRate)} of prompt tokens read from cache; ` +
      `the stable blocks were read on ${pct(s.cache.stableHitRate)} of ${s.cache.calls} calls`,
  );
  const batched = s.agents.filter((a) => a.batch.share > 0);
  if (batched.length) {
    io.out(
      `Message Batches: ${
        pct(batched.reduce((n, a) => n + a.batch.share * a.calls, 0) / s.cache.calls)
      } of calls, ` +
        `${usd(batched.reduce((n, a) => n + a.batch.savedUsd, 0))} saved against standard prices`,
    );
  }
  io.out("More: pressroom report (add --html FILE for charts)");
}
