/**
 * `pressroom project --agent A --model M [--days 7] [--json]`: what a model
 * swap would cost before it is made. Re-prices the agent's calls of the last N
 * days at M's prices, projects the pipeline's daily spend, checks it against
 * every daily cap, and says whether it fits, by how much it does not, and what
 * pool size would make it fit. Where a canary of M ran on the agent, its observed figures stand in for
 * the re-pricing.
 * @module
 */
import { DAY_MS } from "../ledger/period.ts";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { UsageError } from "../errors.ts";
import { allCapRules, globMatches } from "../ledger/caps.ts";
import { formatUsd, nanoToUsd } from "../pricing/money.ts";
import { project } from "../report/maths.ts";
import { outputRatio, reprice, tokenizerRatio } from "../report/reprice.ts";
import { type CallHistory, callHistory, daySpan } from "../report/call_history.ts";
import type { LoadedConfig } from "../config/load.ts";
import { type Rollout, rolloutFrom } from "../report/rollout.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";

export const projectOptions = {
  agent: { type: "string" },
  model: { type: "string" },
  days: { type: "string" },
  json: { type: "boolean" },
} as const;

interface ProjectArgs {
  agent: AgentId;
  model: string;
  days: number;
}

export async function projectCommand(parsed: Parsed, io: Io): Promise<number> {
  const args = projectArgs(parsed);
  const loaded = await configFrom(parsed, io);
  loaded.prices.require(args.model, "project: --model");
  const now = io.now();
  const storage = await openExistingStorage(loaded, io);
  let history: CallHistory;
  let observed: Observed | undefined;
  try {
    history = await callHistory(storage.ledger.shared ?? storage.reports, {
      since: now - args.days * DAY_MS,
      agent: args.agent,
    });
    const arms = rolloutFrom(await storage.reportsSince(now), args.agent, history.backend);
    observed = observedArms(arms, args.model);
  } finally {
    await storage.close();
  }
  const swap = projectSwap(history, loaded, { ...args, now, observed });
  if (parsed.values.json) io.out(JSON.stringify(swapJson(swap, args), null, 2));
  else for (const line of swapText(swap, args, loaded.config.caps.timezone)) io.out(line);
  return 0;
}

function projectArgs(parsed: Parsed): ProjectArgs {
  const agent = parsed.values.agent as string | undefined;
  const model = parsed.values.model as string | undefined;
  if (!agent || !(AGENT_IDS as readonly string[]).includes(agent)) {
    throw new UsageError(`project: --agent must be one of ${AGENT_IDS.join(", ")}`);
  }
  if (!model) throw new UsageError("project: --model is required");
  const days = Number(parsed.values.days ?? 7);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new UsageError("project: --days must be 1 to 365");
  }
  return { agent: agent as AgentId, model, days };
}

/** The agent's recorded calls re-priced at the new model, and the pipeline's day against the daily caps. */
interface Swap {
  span: ReturnType<typeof daySpan>;
  simulated: boolean;
  /** The agent's calls re-priced. */
  calls: number;
  ratios: { from: string; tokenizer: number; output: ReturnType<typeof outputRatio> }[];
  projection: ReturnType<typeof project>;
  /** The agent's pool size now. */
  pool: number;
  /** Priced at Message Batches prices (`agents.<agent>.batch`). */
  batch: boolean;
  observed?: Observed;
}

/** What a canary of `model` on the agent observed: its cost per completion against the control arm's. */
interface Observed {
  controlModel: string;
  /** canary ÷ control, of the agent's cost per completion. */
  ratio: number;
  completions: { canary: number; control: number };
}

/** Completions each arm needs before `project` goes by the canary instead of re-pricing tokens. */
export const OBSERVED_MIN_COMPLETIONS = 5;

function observedArms(r: Rollout | undefined, model: string): Observed | undefined {
  if (!r || r.canary.model !== model || !r.control.agentCostPerCompletionUsd) return undefined;
  if (Math.min(r.canary.completions, r.control.completions) < OBSERVED_MIN_COMPLETIONS) return undefined;
  return {
    controlModel: r.control.model,
    ratio: r.canary.agentCostPerCompletionUsd / r.control.agentCostPerCompletionUsd,
    completions: { canary: r.canary.completions, control: r.control.completions },
  };
}

/**
 * Pure: what moving `agent` to `model` would have cost over `history`, per cap day. Where a canary of
 * `model` ran on the agent, its calls on the control's model are scaled by what the canary observed on
 * the same work (the agent's cost per completion, canary over control) instead of re-priced by tokens.
 */
function projectSwap(
  history: CallHistory,
  loaded: LoadedConfig,
  { agent, model, days, now, observed }: ProjectArgs & { now: number; observed?: Observed },
): Swap {
  const { rows, meanOutput } = history;
  // Spend per day is divided by the cap days the data covers, not by --days: one day of data is one day.
  const span = daySpan(history.firstTs ?? now, now, loaded.config.caps.timezone, days);
  const mine = rows.filter((r) => r.agent_id === agent);
  const others: Record<string, number> = {};
  for (const r of rows) if (r.agent_id !== agent) others[r.model] = (others[r.model] ?? 0) + r.cost;
  // An agent that batches is priced at batch prices on the new model too.
  const options = { prices: loaded.prices, to: model, meanOutput, batch: loaded.config.agents[agent].batch };
  const { pool } = loaded.config.agents[agent];
  const projection = project({
    days: span.days,
    agentNowNano: mine.reduce((n, r) => n + r.cost, 0),
    agentThenNano: mine.reduce(
      (n, r) =>
        n +
        (r.model === model
          ? r.cost
          : observed && r.model === observed.controlModel
          ? Math.ceil(r.cost * observed.ratio)
          : reprice([r], options)),
      0,
    ),
    othersByModel: others,
    currentModel: loaded.config.agents[agent].model,
    newModel: model,
    pool,
    caps: allCapRules(loaded.config.caps).filter((r) => r.scope === "day").map((r) => ({
      name: r.name,
      limitNano: r.limitNano,
      matches: (m: string) => !r.modelGlob || globMatches(r.modelGlob, m),
    })),
  });
  const ratios = [...new Set(mine.map((r) => r.model))].map((m) => ({
    from: m,
    tokenizer: tokenizerRatio(loaded.prices, m, model),
    output: outputRatio(options, m),
  }));
  return {
    span,
    simulated: history.backend === "sim",
    calls: mine.length,
    ratios,
    projection,
    pool,
    batch: options.batch,
    observed,
  };
}

function swapJson(
  { span, simulated, calls, ratios, projection, batch, observed }: Swap,
  { agent, model, days }: ProjectArgs,
) {
  return {
    agent,
    model,
    days,
    batch,
    span: { days: span.days, from: span.from, to: span.to },
    simulated,
    calls,
    ratios,
    observed: observed ?? null,
    agentDailyNowUsd: nanoToUsd(projection.agentDailyNowNano),
    agentDailyUsd: nanoToUsd(projection.agentDailyNano),
    pipelineDailyUsd: nanoToUsd(projection.dailyNano),
    fits: projection.fits,
    caps: projection.caps.map((c) => ({
      cap: c.cap,
      limitUsd: nanoToUsd(c.limitNano),
      projectedDailyUsd: nanoToUsd(c.projectedDailyNano),
      fits: c.fits,
      overUsd: nanoToUsd(c.overNano),
    })),
    poolThatFits: projection.poolThatFits,
  };
}

function swapText(
  { span, simulated, calls, ratios, projection, pool, batch, observed }: Swap,
  { agent, model, days }: ProjectArgs,
  timezone: string,
): string[] {
  const lines = [
    `${agent} on ${model}, from ${calls} calls of the last ${days} days, which cover ${span.days} ` +
    `day${span.days === 1 ? "" : "s"} (${span.from} to ${span.to}, ${timezone}): ` +
    "figures per day are over those" +
    (simulated ? " (SIMULATED: no real calls in that time)" : ""),
  ];
  if (observed) {
    lines.push(
      `  from ${observed.controlModel}: × ${
        observed.ratio.toFixed(2)
      }, the canary's observed cost per completion ` +
        `(${observed.completions.canary} completions against ${observed.completions.control} on the control)`,
    );
  }
  for (const r of ratios.filter((r) => r.from !== observed?.controlModel)) {
    lines.push(
      `  from ${r.from}: tokens × ${r.tokenizer.toFixed(2)} (tokenizer), output × ${
        r.output.ratio.toFixed(2)
      } ` +
        `(${r.output.observed ? "observed for this agent" : "tokenizer only: no data for both models"})`,
    );
  }
  lines.push(
    `${agent}: ${formatUsd(projection.agentDailyNowNano)}/day now, ${
      formatUsd(projection.agentDailyNano)
    }/day on ${model}${batch ? " (at Message Batches prices: the agent batches)" : ""}`,
    `pipeline: ${formatUsd(projection.dailyNano)}/day projected`,
  );
  for (const c of projection.caps) {
    lines.push(
      `  ${c.cap}: ${formatUsd(c.projectedDailyNano)} of ${formatUsd(c.limitNano)}: ` +
        (c.fits ? `fits, ${formatUsd(-c.overNano)} to spare` : `over by ${formatUsd(c.overNano)}`),
    );
  }
  if (projection.fits) lines.push(`fits at pool ${pool}`);
  else if (projection.poolThatFits) {
    lines.push(`does not fit at pool ${pool}; fits at pool ${projection.poolThatFits}`);
  } else {
    lines.push(
      "does not fit at any pool size: the other agents' spend alone is over a cap, or pool 1 is too much",
    );
  }
  return lines;
}
