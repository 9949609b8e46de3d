/**
 * `pressroom models [--json]`: each agent's model now, the models pinned by
 * workflows in flight (a swap never touches them), and the history of swaps:
 * when the model each new workflow got for an agent changed. Workflows in flight pinned to a retired or
 * retiring model are named, with the command that re-pins them; each canary, with the workflows in flight
 * on each of its arms.
 * @module
 */
import { AGENT_IDS, type AgentConfig, type AgentId } from "../config/schema.ts";
import type { ArmPin } from "../pipeline/canary.ts";
import type { Parsed } from "./args.ts";
import { configFrom, openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";
import { table } from "./table.ts";
import {
  pinnedRetirements,
  pinnedRetirementText,
  type PinnedWorkflow,
  retirementDay,
} from "../models/retirement.ts";

export const modelsOptions = { json: { type: "boolean" } } as const;

export interface Swap {
  agent: AgentId;
  from: string;
  to: string;
  /** When the first workflow on the new model was created. */
  at: string;
  workflow: string;
}

/** Swaps from the models workflows were pinned to, in creation order. Pure. */
export function swapHistory(
  workflows: { id: string; created: number; models: Record<AgentId, string> }[],
): Swap[] {
  const swaps: Swap[] = [];
  const last = new Map<AgentId, string>();
  for (const w of workflows) {
    for (const agent of AGENT_IDS) {
      const before = last.get(agent);
      const now = w.models[agent];
      if (before !== undefined && before !== now) {
        swaps.push({ agent, from: before, to: now, at: new Date(w.created).toISOString(), workflow: w.id });
      }
      last.set(agent, now);
    }
  }
  return swaps;
}

export interface CanaryInFlight {
  agent: AgentId;
  model: string;
  controlModel: string;
  share: number;
  /** The workflows in flight of each arm. */
  inFlight: { canary: string[]; control: string[] };
}

/** Each canary the config runs, with the workflows in flight on each of its arms. Pure. */
export function canariesInFlight(
  agents: Record<AgentId, AgentConfig>,
  arms: (ArmPin & { workflowId: string })[],
  inFlight: Set<string>,
): CanaryInFlight[] {
  return AGENT_IDS.flatMap((agent) => {
    const canary = agents[agent].canary;
    if (!canary) return [];
    const ofAgent = arms.filter((a) => a.agent === agent && inFlight.has(a.workflowId));
    const ids = (arm: ArmPin["arm"]) => ofAgent.filter((a) => a.arm === arm).map((a) => a.workflowId);
    return [{
      agent,
      model: canary.model,
      controlModel: agents[agent].model,
      share: canary.share,
      inFlight: { canary: ids("canary"), control: ids("control") },
    }];
  });
}

export async function modelsCommand(parsed: Parsed, io: Io): Promise<number> {
  const loaded = await configFrom(parsed, io);
  const storage = await openExistingStorage(loaded, io);
  let history: { id: string; createdTs: number; models: Record<AgentId, string> }[];
  // The workflows not published yet: in flight.
  let inFlight: PinnedWorkflow[];
  let arms: ReturnType<ReturnType<typeof storage.workflows>["canaryArms"]>;
  try {
    const store = storage.workflows(io.now);
    history = store.pinHistory();
    inFlight = store.pinned();
    arms = store.canaryArms();
  } finally {
    await storage.close();
  }
  const current = Object.fromEntries(AGENT_IDS.map((a) => [a, loaded.config.agents[a].model]));
  const pinned = Object.fromEntries(AGENT_IDS.map((a) => {
    const counts: Record<string, number> = {};
    for (const w of inFlight) counts[w.models[a]] = (counts[w.models[a]] ?? 0) + 1;
    return [a, counts];
  }));
  // A workflow on a canary's model is an arm of the canary, not a swap: history reads it as the control's.
  const controlOf = new Map(
    arms.filter((a) => a.arm === "canary").map((a) => [`${a.workflowId}:${a.agent}`, a]),
  );
  const swaps = swapHistory(history.map((w) => ({
    id: w.id,
    created: w.createdTs,
    models: Object.fromEntries(
      AGENT_IDS.map((a) => [a, controlOf.get(`${w.id}:${a}`)?.controlModel ?? w.models[a]]),
    ) as Record<AgentId, string>,
  })));
  const canaries = canariesInFlight(loaded.config.agents, arms, new Set(inFlight.map((w) => w.id)));
  const retirements = pinnedRetirements(inFlight, (m) => loaded.prices.lookup(m), retirementDay(io.now()));
  if (parsed.values.json) {
    io.out(JSON.stringify({ current, inFlight: pinned, canaries, retirements, swaps }, null, 2));
    return 0;
  }
  const lines = [
    ["agent", "model now", "pinned by workflows in flight"],
    ...AGENT_IDS.map((a) => [
      a,
      current[a],
      Object.entries(pinned[a]).map(([m, n]) => `${m} × ${n}`).join(", ") || "-",
    ]),
  ];
  for (const line of table(lines, ["l", "l", "l"])) io.out(line);
  io.out("");
  for (const c of canaries) {
    const arm = (ids: string[]) => `${ids.length}${ids.length ? ` (${ids.join(", ")})` : ""}`;
    io.out(
      `canary: ${c.agent} ${c.model} on ${
        (c.share * 100).toFixed(0)
      } % of new workflows; in flight: canary arm ` +
        `${arm(c.inFlight.canary)}, control arm on ${c.controlModel} ${arm(c.inFlight.control)}`,
    );
  }
  if (canaries.length) io.out("");
  for (const r of retirements) io.out(`warning: ${pinnedRetirementText(r)}`);
  if (retirements.length) io.out("");
  if (!swaps.length) io.out("no swaps yet");
  for (const s of swaps) io.out(`${s.at}  ${s.agent}: ${s.from} → ${s.to} (first workflow ${s.workflow})`);
  return 0;
}
