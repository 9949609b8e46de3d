/**
 * Per-agent canaries: a new workflow gets an agent's canary model with probability `share`, drawn from
 * the workflow's id (so the same id always draws the same arm, on any machine, after any restart) and
 * pinned for the workflow's life like every model. Pure.
 * @module
 */
import { AGENT_IDS, type AgentConfig, type AgentId } from "../config/schema.ts";

export interface Canary {
  model: string;
  share: number;
}

/** An arm as drawn: by which workflow, when. */
export type DrawnArm = ArmPin & { workflowId: string; ts: number };

/** The models new workflows get: each agent's, and its canary where one runs. */
export interface ModelPlan {
  models: Record<AgentId, string>;
  canaries: Partial<Record<AgentId, Canary>>;
}

/** The plan a config gives: each agent's model, and its canary where it runs one. */
export function modelPlan(agents: Record<AgentId, Pick<AgentConfig, "model" | "canary">>): ModelPlan {
  return {
    models: Object.fromEntries(AGENT_IDS.map((a) => [a, agents[a].model])) as Record<AgentId, string>,
    canaries: Object.fromEntries(AGENT_IDS.flatMap((a) => agents[a].canary ? [[a, agents[a].canary]] : [])),
  };
}

/** Which arm of an agent's canary a workflow drew. */
export interface ArmPin {
  agent: AgentId;
  arm: "canary" | "control";
  /** The model it was pinned to, and the two arms' models. */
  model: string;
  canaryModel: string;
  controlModel: string;
  share: number;
}

/**
 * A number in [0, 1) from the workflow id and the agent (FNV-1a, 32 bits, then mixed): uniform over ULIDs,
 * and independent between agents, so that one workflow's arms for two agents are not the same draw.
 */
export function canaryDraw(workflowId: string, agent: AgentId): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${agent}\u0000${workflowId}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // MurmurHash3's finaliser, so that ids differing only in their last characters spread over the range.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/** The models a new workflow pins, and the arm it drew for each agent with a canary. */
export function pinModels(
  workflowId: string,
  plan: ModelPlan,
): { models: Record<AgentId, string>; arms: ArmPin[] } {
  const models = { ...plan.models };
  const arms: ArmPin[] = [];
  for (const agent of AGENT_IDS) {
    const canary = plan.canaries[agent];
    if (!canary) continue;
    const arm = canaryDraw(workflowId, agent) < canary.share ? "canary" : "control";
    if (arm === "canary") models[agent] = canary.model;
    arms.push({
      agent,
      arm,
      model: models[agent],
      canaryModel: canary.model,
      controlModel: plan.models[agent],
      share: canary.share,
    });
  }
  return { models, arms };
}
