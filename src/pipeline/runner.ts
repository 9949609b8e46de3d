/**
 * Draining ready work: each agent works on up to its pool size of workflows at
 * once; a stage's end makes the workflow ready for the next agent. An agent
 * refused by a daily cap stops taking work until the cap resets.
 * @module
 */
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { type PipelineDeps, runStage, type StageResult } from "./loop.ts";

export interface DrainEvent {
  workflowId: string;
  agent: AgentId;
  result: StageResult;
}

export interface DrainSummary {
  stages: number;
  /** Agents a cap stopped, with the cap and when it resets. */
  blocked: Map<AgentId, { cap: string; until: number }>;
}

export async function drain(
  deps: PipelineDeps,
  onEvent: (event: DrainEvent) => void = () => {},
): Promise<DrainSummary> {
  const running = new Map<string, Promise<void>>();
  const busy: Record<AgentId, number> = Object.fromEntries(AGENT_IDS.map((a) => [a, 0])) as Record<
    AgentId,
    number
  >;
  const blocked = new Map<AgentId, { cap: string; until: number }>();
  let stages = 0;
  let fatal: unknown;

  const start = (workflowId: string, agent: AgentId) => {
    busy[agent]++;
    stages++;
    const task = runStage(deps, workflowId).then(
      (result) => {
        if (result.kind === "waiting" && result.cap) {
          blocked.set(agent, { cap: result.cap, until: result.until });
        }
        onEvent({ workflowId, agent, result });
      },
      (error) => {
        fatal ??= error;
      },
    ).finally(() => {
      busy[agent]--;
      running.delete(workflowId);
    });
    running.set(workflowId, task);
  };

  while (!deps.signal?.aborted && fatal === undefined) {
    const now = deps.now();
    for (const [agent, block] of blocked) if (block.until <= now) blocked.delete(agent);
    for (const workflow of deps.store.ready(now)) {
      const agent = workflow.stage as AgentId;
      if (running.has(workflow.id) || blocked.has(agent)) continue;
      if (busy[agent] >= deps.config.agents[agent].pool) continue;
      start(workflow.id, agent);
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  if (fatal !== undefined) throw fatal;
  return { stages, blocked };
}
