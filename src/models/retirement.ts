/**
 * Model retirement, judged against a given day. Pure: the caller passes today (UTC), so that tests pass
 * a clock instead of depending on the wall date. A model is retired from its retirement date on: that
 * day the API starts refusing it.
 * @module
 */
import { DAY_MS } from "../ledger/period.ts";
import { AGENT_IDS, type AgentId, DEFAULT_MODELS } from "../config/schema.ts";
import type { PricedModel } from "./price_book.ts";

/** A model this close to its retirement gets a warning. */
export const RETIREMENT_WARNING_DAYS = 60;

export interface Retirement {
  /** `retired`: calls fail now; `retiring`: within RETIREMENT_WARNING_DAYS. */
  kind: "retired" | "retiring";
  /** YYYY-MM-DD. */
  retires: string;
  /** Whole days from today to the retirement date (0 or less once retired). */
  days: number;
  /** What the catalog says to move to, if it says. */
  replacedBy: string | undefined;
}

/** The day (YYYY-MM-DD, UTC) retirement dates are compared with. */
export function retirementDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Whether a model with this retirement date is retired on `today`. */
export function isRetired(retires: string | undefined, today: string): boolean {
  return retires !== undefined && retires <= today;
}

/** The model's retirement if it is retired or retiring on `today`; undefined when it is neither. */
export function retirementOf(
  priced: Pick<PricedModel, "retires" | "replacedBy">,
  today: string,
): Retirement | undefined {
  const retires = priced.retires;
  if (retires === undefined) return undefined;
  const days = Math.round((Date.parse(retires) - Date.parse(today)) / DAY_MS);
  if (days > RETIREMENT_WARNING_DAYS) return undefined;
  return {
    kind: isRetired(retires, today) ? "retired" : "retiring",
    retires,
    days,
    replacedBy: priced.replacedBy,
  };
}

/** "retired on 2026-11-30" or "retires on 2027-01-22, in 52 days". */
export function retirementText(r: Retirement): string {
  return r.kind === "retired" ? `retired on ${r.retires}` : `retires on ${r.retires}, in ${r.days} days`;
}

/**
 * The model to suggest to an agent leaving a retiring one: the catalog's replacement, else (a model only
 * the config knows) the agent's default model.
 */
export function replacementFor(r: Pick<Retirement, "replacedBy">, agent: AgentId): string {
  return r.replacedBy ?? DEFAULT_MODELS[agent];
}

/** A workflow in flight, as `WorkflowStore.pinned` gives it. */
export interface PinnedWorkflow {
  id: string;
  stage: string;
  models: Record<AgentId, string>;
}

/** A retired or retiring model that workflows in flight are pinned to, for agents still ahead of them. */
export interface PinnedRetirement extends Retirement {
  model: string;
  workflows: { id: string; agents: AgentId[] }[];
}

/**
 * Pure. Models pinned by workflows in flight that are retired or retiring on `today`, each with the
 * workflows and agents that would still call it: the agents from the workflow's current stage on (an
 * agent behind it is called again only if the workflow is sent back).
 */
export function pinnedRetirements(
  workflows: readonly PinnedWorkflow[],
  lookup: (model: string) => Pick<PricedModel, "retires" | "replacedBy"> | undefined,
  today: string,
): PinnedRetirement[] {
  const found = new Map<string, PinnedRetirement>();
  for (const w of workflows) {
    const from = AGENT_IDS.indexOf(w.stage as AgentId);
    if (from < 0) continue;
    for (const agent of AGENT_IDS.slice(from)) {
      const model = w.models[agent];
      const priced = lookup(model);
      const retirement = priced && retirementOf(priced, today);
      if (!retirement) continue;
      const entry = found.get(model) ?? { model, ...retirement, workflows: [] };
      found.set(model, entry);
      const last = entry.workflows.at(-1);
      if (last?.id === w.id) last.agents.push(agent);
      else entry.workflows.push({ id: w.id, agents: [agent] });
    }
  }
  return [...found.values()];
}

/** How many workflow ids a line names before it says "and N more". */
const IDS_SHOWN = 5;

/**
 * One line for a pinned retirement: the model, when, the workflows and their agents, and the command that
 * moves them to the replacement.
 */
export function pinnedRetirementText(p: PinnedRetirement): string {
  const shown = p.workflows.slice(0, IDS_SHOWN).map((w) => `${w.id} (${w.agents.join(", ")})`);
  const more = p.workflows.length - shown.length;
  const agents = [...new Set(p.workflows.flatMap((w) => w.agents))];
  const repin = agents.map((a) => `--model ${a}=${replacementFor(p, a)}`).join(" ");
  return `${p.workflows.length} workflow(s) in flight pinned to ${p.model}, which ${
    p.kind === "retired" ? "retired on" : "retires on"
  } ${p.retires}${p.kind === "retired" ? " (its calls fail)" : `, in ${p.days} days`}: ${shown.join(", ")}${
    more ? ` and ${more} more` : ""
  }; re-pin with \`pressroom retry <workflow> ${repin}\``;
}
