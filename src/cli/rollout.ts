/**
 * `pressroom rollout [agent] [--json]`: each canary's arms side by side from the ledger (report/rollout.ts);
 * `rollout promote <agent>` makes the canary model the agent's model and ends the canary; `rollout stop
 * <agent>` ends it. Both rewrite the config atomically and keep every other field; workflows in flight keep
 * their pins.
 * @module
 */
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { readConfigFile, writeConfig } from "../config/config_file.ts";
import { UsageError, UserInputError } from "../errors.ts";
import { type ArmFigures, type Rollout, rolloutFrom } from "../report/rollout.ts";
import type { Interval } from "../report/maths.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";
import { pct, usd } from "../report/format.ts";

export const rolloutOptions = { json: { type: "boolean" } } as const;

export async function rolloutCommand(parsed: Parsed, io: Io): Promise<number> {
  const [first, second, ...extra] = parsed.positionals;
  if (first === "promote" || first === "stop") {
    if (second === undefined || extra.length) {
      throw new UsageError(`rollout ${first}: give one agent: pressroom rollout ${first} <agent>`);
    }
    return await endCanary(parsed, io, first, agentId(second));
  }
  if (second !== undefined) throw new UsageError(`rollout: unexpected argument "${second}"`);
  const loaded = await configFrom(parsed, io);
  const storage = await openExistingStorage(loaded, io);
  let rollouts: Rollout[];
  try {
    // Every arm over all time, and its workflows' calls: no window.
    const queries = await storage.reportsSince(io.now());
    const agents = first === undefined ? queries.canaryAgents() : [agentId(first)];
    rollouts = agents.flatMap((agent) => rolloutFrom(queries, agent) ?? []);
  } finally {
    await storage.close();
  }
  if (parsed.values.json) {
    io.out(JSON.stringify({ rollouts }, null, 2));
    return 0;
  }
  if (!rollouts.length) {
    io.out(
      first === undefined
        ? 'no canaries yet: set agents.<id>.canary {"model", "share"} in the config'
        : `${first} has had no canary`,
    );
    return 0;
  }
  for (const r of rollouts) {
    printRollout(io, r, loaded.config.agents[r.agent as AgentId].canary !== undefined);
  }
  return 0;
}

function agentId(text: string): AgentId {
  if (!(AGENT_IDS as readonly string[]).includes(text)) {
    throw new UsageError(`rollout: unknown agent "${text}" (agents: ${AGENT_IDS.join(", ")})`);
  }
  return text as AgentId;
}

const signed = (x: number, f: (v: number) => string) => `${x >= 0 ? "+" : "−"}${f(Math.abs(x))}`;
const between = (d: Interval, f: (v: number) => string) =>
  d.low !== null && d.high !== null
    ? `${signed(d.estimate, f)} (${signed(d.low, f)} to ${signed(d.high, f)})`
    : `${signed(d.estimate, f)} (no interval yet)`;

function printRollout(io: Io, r: Rollout, running: boolean): void {
  const arms: [string, ArmFigures][] = [["canary", r.canary], ["control", r.control]];
  io.out(
    `${r.agent}: canary ${r.canary.model} against ${r.control.model}, ${
      (r.share * 100).toFixed(0)
    } % of new ` +
      `workflows${running ? "" : " (ended)"}` +
      (r.backend === "sim" ? " (SIMULATED: the demo's model, no real calls)" : ""),
  );
  const rows = [
    ["", ...arms.map(([name, a]) => `${name}: ${a.model}`), "canary − control (95 % interval)"],
    ["workflows (completed)", ...arms.map(([, a]) => `${a.workflows} (${a.completions})`), ""],
    [
      `${r.agent}'s cost per completion`,
      ...arms.map(([, a]) => usd(a.agentCostPerCompletionUsd)),
      between(r.difference.agentCostPerCompletionUsd, usd),
    ],
    [
      "workflow's cost per completion",
      ...arms.map(([, a]) => usd(a.workflowCostPerCompletionUsd)),
      between(r.difference.workflowCostPerCompletionUsd, usd),
    ],
    ["cost per call", ...arms.map(([, a]) => usd(a.costPerCallUsd)), ""],
    [
      "first-attempt tool accuracy (n)",
      ...arms.map(([, a]) =>
        `${pct(a.toolAccuracy.value)} (${pct(a.toolAccuracy.low)}–${
          pct(a.toolAccuracy.high)
        }, ${a.toolAccuracy.n})`
      ),
      between(r.difference.toolAccuracy, pct),
    ],
    ["retries per completion", ...arms.map(([, a]) => a.retriesPerCompletion.toFixed(2)), ""],
    ["turns per completion", ...arms.map(([, a]) => a.turnsPerCompletion.toFixed(1)), ""],
    ["editor revisions per workflow", ...arms.map(([, a]) => a.revisionsPerWorkflow.toFixed(2)), ""],
    ["flagged workflows", ...arms.map(([, a]) => pct(a.flagRate.value)), between(r.difference.flagRate, pct)],
  ];
  for (const line of table(rows, ["l", "r", "r", "l"])) io.out(`  ${line}`);
  io.out(`  verdict: ${r.verdict.text}`);
  io.out("");
}

/** Promotes or stops an agent's canary in the config file. */
async function endCanary(
  parsed: Parsed,
  io: Io,
  action: "promote" | "stop",
  agent: AgentId,
): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const canary = loaded.config.agents[agent].canary;
  if (!canary) {
    throw new UserInputError(`rollout ${action}: ${agent} runs no canary (agents.${agent}.canary)`);
  }
  if (!loaded.file) {
    throw new UserInputError(`rollout ${action}: no config file to change: run \`pressroom init\``);
  }
  const file = await readConfigFile(loaded.file);
  const raw = structuredClone(file.raw) as { agents: Record<string, Record<string, unknown>> };
  const settings = raw.agents[agent];
  delete settings.canary;
  if (action === "promote") settings.model = canary.model;
  await writeConfig(file, raw, [], io.now);
  io.out(
    action === "promote"
      ? `${agent}: new workflows get ${canary.model} (was ${
        loaded.config.agents[agent].model
      }); the canary ` +
        `ended; workflows in flight keep their models (${loaded.file})`
      : `${agent}: the canary on ${canary.model} ended; new workflows get ${
        loaded.config.agents[agent].model
      }; ` +
        `workflows in flight keep their models (${loaded.file})`,
  );
  return 0;
}
