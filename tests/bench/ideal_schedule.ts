/**
 * The ideal a throughput run is measured against: the same workflows, with the
 * same stages and the same number of model calls in each, replayed by a
 * scheduler that spends no time of its own. Every call takes exactly the
 * model's latency; a stage starts the moment its workflow is ready and its
 * agent has a free slot in its pool and under the global limit, oldest ready
 * first, as `pressroom run` claims work. Pure: the bench derives the stages
 * from the ledger and passes them in.
 * @module
 */

/** One stage of one workflow: the agent that worked it and how many model calls it took. */
export interface StageWork {
  agent: string;
  calls: number;
}

export interface IdealOptions {
  /** Each workflow's stages, in order. */
  workflows: StageWork[][];
  /** Stages each agent works on at once. */
  pools: Record<string, number>;
  /** Stages all agents together work on at once. */
  maxConcurrent: number;
  /** The model's latency per call, in ms. */
  latencyMs: number;
}

/** Wall time in ms of the zero-overhead schedule. */
export function idealMakespan(options: IdealOptions): number {
  const { workflows, pools, maxConcurrent, latencyMs } = options;
  const next = workflows.map(() => 0);
  // Ready stages as [readyAt, workflow index]; running stages as [endsAt, workflow index].
  let ready: [number, number][] = workflows.flatMap((stages, w) => stages.length ? [[0, w]] : []);
  let running: [number, number][] = [];
  const busy = new Map<string, number>();
  let now = 0;
  while (ready.length || running.length) {
    ready.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const waiting: [number, number][] = [];
    for (const entry of ready) {
      const [, w] = entry;
      const { agent, calls } = workflows[w][next[w]];
      const inUse = busy.get(agent) ?? 0;
      if (inUse >= (pools[agent] ?? 1) || running.length >= maxConcurrent) {
        waiting.push(entry);
        continue;
      }
      busy.set(agent, inUse + 1);
      running.push([now + calls * latencyMs, w]);
    }
    ready = waiting;
    if (!running.length) break;
    // Move to the next completion; every stage ending then frees its slot at once.
    now = Math.min(...running.map(([end]) => end));
    const done = running.filter(([end]) => end === now);
    running = running.filter(([end]) => end !== now);
    for (const [, w] of done) {
      const agent = workflows[w][next[w]].agent;
      busy.set(agent, busy.get(agent)! - 1);
      if (++next[w] < workflows[w].length) ready.push([now, w]);
    }
  }
  return now;
}

/** The looser bound: every pool busy all the time, ignoring how the pipeline fills and drains. */
export function poolBound(options: IdealOptions): number {
  const callsByAgent = new Map<string, number>();
  let calls = 0;
  for (const stage of options.workflows.flat()) {
    callsByAgent.set(stage.agent, (callsByAgent.get(stage.agent) ?? 0) + stage.calls);
    calls += stage.calls;
  }
  const perAgent = [...callsByAgent].map(([agent, n]) => n * options.latencyMs / (options.pools[agent] ?? 1));
  return Math.max(...perAgent, calls * options.latencyMs / options.maxConcurrent);
}

/** Each workflow's stages from ledger rows ordered by workflow and time: runs of one agent are one stage. */
export function stagesFromCalls(rows: { workflow: string; agent: string }[]): StageWork[][] {
  const byWorkflow = new Map<string, StageWork[]>();
  for (const { workflow, agent } of rows) {
    const stages = byWorkflow.get(workflow) ?? [];
    byWorkflow.set(workflow, stages);
    const last = stages.at(-1);
    if (last?.agent === agent) last.calls++;
    else stages.push({ agent, calls: 1 });
  }
  return [...byWorkflow.values()];
}
