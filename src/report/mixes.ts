/**
 * Cost per completion by model mix (the models a completed workflow's agents ran on), each agent's share
 * of it, and the distribution of cost per completion. Pure.
 * @module
 */
import { nanoToUsd } from "../pricing/money.ts";
import { groupBy, ratio } from "./maths.ts";
import type { AgentCost } from "./queries.ts";

export interface ModelMix {
  /** The agents whose model differs between the mixes, with their model here; "every completion" for one mix. */
  label: string;
  models: Record<string, string>;
  completions: number;
  meanUsd: number;
  /** Each agent's mean cost per completion in this mix, and its share of the mix's whole. */
  agents: { agent: string; usd: number; share: number }[];
}

export interface HistogramBin {
  fromUsd: number;
  toUsd: number;
  count: number;
}

/** Completed workflows grouped by the models their agents ran on, most completions first. */
export function modelMixes(costs: (AgentCost & { model: string })[], completed: Set<string>): ModelMix[] {
  const byWorkflow = groupBy(costs.filter((c) => completed.has(c.id)), (c) => c.id);
  const modelsOf = (rows: (AgentCost & { model: string })[]) => {
    const models: Record<string, string> = {};
    for (const r of [...rows].sort((a, b) => a.model.localeCompare(b.model))) {
      models[r.agent] = models[r.agent] ? `${models[r.agent]}+${r.model}` : r.model;
    }
    return models;
  };
  const groups = groupBy(
    [...byWorkflow.values()],
    (rows) => JSON.stringify(Object.entries(modelsOf(rows)).sort()),
  );
  const all = [...groups.values()].map((workflows) => ({ models: modelsOf(workflows[0]), workflows }));
  const varying = new Set(
    all.flatMap((g) => Object.keys(g.models)).filter((agent) =>
      new Set(all.map((g) => g.models[agent] ?? "")).size > 1
    ),
  );
  return all.map(({ models, workflows }) => {
    const n = workflows.length;
    const perAgent = new Map<string, number>();
    for (const r of workflows.flat()) perAgent.set(r.agent, (perAgent.get(r.agent) ?? 0) + r.nano);
    const total = [...perAgent.values()].reduce((s, v) => s + v, 0);
    const label = [...varying].sort().map((a) => `${a} ${models[a] ?? "—"}`).join(", ") || "every completion";
    return {
      label,
      models,
      completions: n,
      meanUsd: nanoToUsd(total / n),
      agents: [...perAgent].map(([agent, nano]) => ({
        agent,
        usd: nanoToUsd(nano / n),
        share: ratio(nano, total),
      })),
    };
  }).sort((a, b) => b.completions - a.completions || a.label.localeCompare(b.label));
}

/** Equal-width bins from the cheapest to the dearest completion: about √n of them, at most 12. */
export function histogram(valuesUsd: number[]): HistogramBin[] {
  if (!valuesUsd.length) return [];
  const min = Math.min(...valuesUsd);
  const max = Math.max(...valuesUsd);
  const bins = max === min ? 1 : Math.max(1, Math.min(12, Math.ceil(Math.sqrt(valuesUsd.length))));
  const width = (max - min) / bins || 1;
  const counts = new Array(bins).fill(0);
  for (const v of valuesUsd) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  return counts.map((count, i) => ({ fromUsd: min + i * width, toUsd: min + (i + 1) * width, count }));
}
