/**
 * The scheduler: all six agents in one process, each waking on its own cron
 * expression and at once when a stage hands work to it. An agent works on up
 * to `pool` workflows at a time, all agents together on up to
 * `run.maxConcurrent`. Work is claimed with a lease in SQLite, so two processes
 * never work on the same workflow's stage; an agent a cap refused pauses while
 * the caps in force would still refuse it (cap_holds.ts, judged at every pass,
 * so a raised cap or a new day lifts it). When no call can reach the API at all, or the shared ledger's
 * database is away (no call goes out without a reservation), `--once` stops with that UnreachableError
 * and `run` claims nothing for a back-off that doubles from 10 s to 5 minutes, the
 * work left as it was. Clock and sleeping are injected, so
 * tests drive cron wakes, days and cap resets without waiting.
 * @module
 */
import { Cron } from "croner";
import { BatchDispatch } from "../pipeline/batch_dispatch.ts";
import { AGENT_IDS, type AgentId } from "../config/schema.ts";
import { ownerAlive } from "../ledger/owner.ts";
import { type PipelineDeps, runStage, type StageResult } from "../pipeline/loop.ts";
import {
  type JudgeDeps,
  pauseKey,
  pausesOf,
  reconcileCapHolds,
  type Reconciled,
} from "../pipeline/cap_holds.ts";
import type { Pause } from "../pipeline/store.ts";
import type { Backend } from "../ledger/ledger.ts";
import { UnreachableError } from "../errors.ts";
import { dataPaths } from "../output/paths.ts";

export interface SchedulerEvent {
  workflowId: string;
  agent: AgentId;
  result: StageResult;
}

export interface SchedulerOptions {
  deps: PipelineDeps;
  /** Drain what is ready now and return, ignoring cron expressions. */
  once: boolean;
  /** Aborted when the process should stop claiming work. */
  stopping: AbortSignal;
  /** Waits `ms` or until `wake` aborts; injected so tests need not sleep. */
  sleep: (ms: number, wake: AbortSignal) => Promise<void>;
  onEvent?: (event: SchedulerEvent) => void;
  /** Cap holds that the caps in force lifted or moved (a raised cap, a new day, calls settled). */
  onHolds?: (changes: Reconciled) => void;
  /** Runs before each look for work: the inbox, a config reload. */
  beforePass?: () => Promise<void>;
  /**
   * Not --once: no call could reach the API, so nothing is claimed until `until` (epoch ms). Called once
   * per back-off, not for every stage that failed during it.
   */
  onUnreachable?: (error: UnreachableError, until: number) => void;
  /** A Message Batches call failed (create, poll, results): it is tried again at a later pass. */
  onBatchError?: (error: unknown) => void;
}

export interface SchedulerSummary {
  stages: number;
  /** Agents a cap paused, with the cap and when it resets. */
  paused: Pause[];
  /** Requests of ours in Message Batches not collected yet: the next `run --once` collects them. */
  inBatches: number;
}

/** When no call can reach the API, `run` claims nothing for this long, doubling up to the most. */
export const UNREACHABLE_BACKOFF_MS = { first: 10_000, most: 300_000 } as const;

/** Pure: the next back-off after `previousMs` (0: the first of an outage). */
export function nextBackoffMs(previousMs: number): number {
  return previousMs === 0
    ? UNREACHABLE_BACKOFF_MS.first
    : Math.min(previousMs * 2, UNREACHABLE_BACKOFF_MS.most);
}

/** How often the scheduler settles dead processes' reservations and checkpoints the WAL. */
const HOUSEKEEPING_EVERY_MS = 1_000;

/** A wait still on: the agent and pinned model it is for, and the backend of the cap hold it is under. */
export interface OpenWait {
  agent: AgentId;
  model: string;
  until: number;
  holdBackend: Backend | null;
}

/**
 * Pure: when `run --once`, with nothing to claim and nothing running, should look again, or undefined
 * when the drain is done. It waits for the first wait that ends within what is left of its horizon
 * (a retry after an API error, calls in flight of another process settling), leaving out waits it
 * could not claim when they end: those of an agent paused on that model, and those under another
 * backend's cap hold. The horizon bounds the waiting in all, so a fault that lasts cannot keep
 * --once from exiting.
 */
export function onceWakeAt(input: {
  now: number;
  waits: OpenWait[];
  paused: Pause[];
  backend: Backend;
  horizonMs: number;
  waitedMs: number;
}): number | undefined {
  const paused = new Set(input.paused.map((p) => pauseKey(p.agent, p.model)));
  let next: number | undefined;
  for (const w of input.waits) {
    if (paused.has(pauseKey(w.agent, w.model)) || (w.holdBackend && w.holdBackend !== input.backend)) {
      continue;
    }
    if (next === undefined || w.until < next) next = w.until;
  }
  return next !== undefined && next - input.now <= input.horizonMs - input.waitedMs ? next : undefined;
}

export async function runScheduler(options: SchedulerOptions): Promise<SchedulerSummary> {
  const { deps, once, stopping } = options;
  const owner = deps.ledger.owner.id;
  const locks = dataPaths(deps.dataDir).locks;
  const isAlive = (other: string) => ownerAlive(locks, other);
  const running = new Map<string, { agent: AgentId; task: Promise<void> }>();
  const busy = Object.fromEntries(AGENT_IDS.map((a) => [a, 0])) as Record<AgentId, number>;
  // At start every agent wakes once, to pick up what is ready; then cron and handoffs wake them.
  const awake = new Set<AgentId>(AGENT_IDS);
  const nextWake = new Map<AgentId, number>();
  let stages = 0;
  /** Stages that have ended so far: a pass that saw one end while it awaited looks again. */
  let stagesEnded = 0;
  let lastHousekeeping = Number.NEGATIVE_INFINITY;
  let fatal: unknown;
  let wake = new AbortController();
  const batches = new BatchDispatch({
    ledger: deps.ledger,
    store: deps.store,
    client: deps.client,
    now: deps.now,
    pollMs: () => deps.config.run.batchPollSeconds * 1000,
  });
  // Batch calls that fail are tried again at a later pass; they never stop the scheduler.
  const batchCall = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (error) {
      options.onBatchError?.(error);
      return undefined;
    }
  };
  // `run --once` collects every open batch that has ended, whenever it last looked.
  let forcePoll = once;

  const cronNext = (agent: AgentId, after: number) =>
    new Cron(deps.config.agents[agent].schedule, { paused: true }).nextRun(new Date(after))?.getTime() ??
      Number.POSITIVE_INFINITY;
  for (const agent of AGENT_IDS) nextWake.set(agent, cronNext(agent, deps.now()));

  // An API that cannot be reached: --once stops (the error is fatal), `run` claims nothing until then.
  let backoffMs = 0;
  let backoffUntil = Number.NEGATIVE_INFINITY;
  const unreachable = (error: UnreachableError) => {
    const now = deps.now();
    // Stages that were running when the API went away fail within the same back-off: one is enough.
    if (now < backoffUntil) return;
    backoffMs = nextBackoffMs(backoffMs);
    backoffUntil = now + backoffMs;
    // The agents look again for their ready work once it ends.
    for (const agent of AGENT_IDS) awake.add(agent);
    options.onUnreachable?.(error, backoffUntil);
  };
  const finished = (workflowId: string, agent: AgentId, result: StageResult) => {
    backoffMs = 0; // a stage ended on its own terms: the API could be reached
    if (result.kind === "advanced" && deps.config.run.wakeOnHandoff) awake.add(result.to as AgentId);
    options.onEvent?.({ workflowId, agent, result });
  };
  // What --once has slept, waiting for waits to end with nothing to do.
  let onceWaited = 0;
  const judgeDeps: JudgeDeps = {
    ledger: deps.ledger,
    store: deps.store,
    settingsOf: (agent) => deps.config.agents[agent],
  };

  const start = (workflowId: string, agent: AgentId) => {
    busy[agent]++;
    stages++;
    const task = runStage(deps, workflowId).then(
      (result) => finished(workflowId, agent, result),
      (error) => {
        if (!once && error instanceof UnreachableError) unreachable(error);
        else fatal ??= error;
      },
    ).finally(() => {
      stagesEnded++;
      busy[agent]--;
      running.delete(workflowId);
      deps.store.release(workflowId, owner);
      wake.abort();
    }).catch((error) => {
      fatal ??= error;
    });
    running.set(workflowId, { agent, task });
  };

  while (fatal === undefined && !stopping.aborted) {
    // A stage that ends from here on cuts this pass's sleep short.
    wake = new AbortController();
    try {
      await options.beforePass?.();
      // Passes come at every stage's end; housekeeping once a second is enough and keeps passes quick.
      if (performance.now() - lastHousekeeping >= HOUSEKEEPING_EVERY_MS) {
        // A process that died while this one runs leaves reservations open: settle them at their worst case.
        // Then the shared ledger's figures (every machine's) for the progress line and cap holds.
        lastHousekeeping = performance.now();
        await deps.ledger.recoverAll();
        await deps.ledger.refresh();
        // Fold the WAL back into the database, off the call path.
        deps.ledger.checkpoint();
      }
    } catch (error) {
      // A shared ledger out of reach: `run` waits for it as for the API; --once stops.
      if (!once && error instanceof UnreachableError) unreachable(error);
      else {
        fatal ??= error;
        break;
      }
    }
    const endedBefore = stagesEnded;
    const collected = await batchCall(() => batches.collect({ force: forcePoll }));
    forcePoll = false;
    for (const workflow of collected ?? []) awake.add(deps.store.get(workflow).stage as AgentId);
    const now = deps.now();
    const leaseUntil = now + deps.config.run.leaseMinutes * 60_000;
    for (const id of running.keys()) deps.store.renew(id, owner, leaseUntil);
    for (const agent of AGENT_IDS) {
      if (nextWake.get(agent)! <= now) {
        awake.add(agent);
        nextWake.set(agent, cronNext(agent, now));
      }
    }
    // The caps in force judge every hold: at the start, after a reload, and as spend and calls in flight change.
    const changes = reconcileCapHolds(judgeDeps, deps.backend, now);
    if (changes.lifted.length || changes.moved.length) options.onHolds?.(changes);
    const pauses = pausesOf(changes.holds);
    const paused = new Set(pauses.map((p) => pauseKey(p.agent, p.model)));
    const backingOff = now < backoffUntil;
    const claimable = new Set<AgentId>();
    for (const workflow of backingOff ? [] : deps.store.ready(now)) {
      const agent = workflow.stage;
      const blocked = paused.has(pauseKey(agent, workflow.model));
      if (running.has(workflow.id) || blocked || !(once || awake.has(agent))) continue;
      claimable.add(agent);
      if (busy[agent] >= deps.config.agents[agent].pool || running.size >= deps.config.run.maxConcurrent) {
        continue;
      }
      if (!deps.store.claim(workflow.id, owner, leaseUntil, isAlive)) continue;
      start(workflow.id, agent);
    }
    // Each agent's recorded batch turns go out together once none of its stages can add more.
    if (!backingOff) await batchCall(() => batches.send((agent) => busy[agent as AgentId] > 0));
    // A stage that ended while this pass awaited the batch calls woke a pass that is already past its
    // claims: look again now, rather than sleep on (or, --once, stop with) work it left ready or recorded.
    if (stagesEnded !== endedBefore) continue;
    // An agent with nothing left to claim sleeps until its next cron time or a handoff (while backing off,
    // its work is still there).
    for (const agent of awake) {
      if (!backingOff && !claimable.has(agent) && busy[agent] === 0) awake.delete(agent);
    }
    const nextPoll = batches.nextPollAt() ?? Number.POSITIVE_INFINITY;
    let until = once ? Number.POSITIVE_INFINITY : Math.min(
      ...nextWake.values(),
      now + deps.config.run.pollSeconds * 1000,
      backingOff ? backoffUntil : Number.POSITIVE_INFINITY,
      nextPoll,
    );
    if (once && running.size === 0) {
      const horizonMs = deps.config.run.onceWaitSeconds * 1000;
      const next = Math.min(
        onceWakeAt({
          now,
          waits: deps.store.waitsAfter(now),
          paused: pauses,
          backend: deps.backend,
          horizonMs,
          waitedMs: onceWaited,
        }) ?? Number.POSITIVE_INFINITY,
        // A batch that may end within the wait is polled again; one that may not is the next run's.
        onceWaited + Math.max(0, nextPoll - now) <= horizonMs ? nextPoll : Number.POSITIVE_INFINITY,
      );
      if (next === Number.POSITIVE_INFINITY) break;
      until = next;
      onceWaited += until - now;
    }

    wake = new AbortController();
    const onStop = () => wake.abort();
    stopping.addEventListener("abort", onStop, { once: true });
    await options.sleep(Math.max(0, until - now), wake.signal);
    stopping.removeEventListener("abort", onStop);
  }
  await Promise.all([...running.values()].map((r) => r.task));
  if (fatal !== undefined) throw fatal;
  return { stages, paused: pausesOf(deps.store.holds(deps.backend)), inBatches: batches.waiting() };
}

/** The real sleep: a timer that a wake-up cuts short. */
export function realSleep(ms: number, wake: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (wake.aborted) return resolve();
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    function done() {
      clearTimeout(timer);
      wake.removeEventListener("abort", done);
      resolve();
    }
    wake.addEventListener("abort", done, { once: true });
  });
}
