/**
 * What a drain leaves behind, in one line: the last line of `run --once` (and of `demo`). Waiting
 * workflows are told apart by why they wait (a cap, and until when; a retry after an API error; a
 * Message Batch),
 * ready ones left over by the agents a cap paused.
 * @module
 */
import type { Backend } from "../ledger/ledger.ts";
import type { CapHold, Pause, WorkflowStatus, WorkflowStore } from "../pipeline/store.ts";

export interface LeftInput {
  counts: Record<WorkflowStatus, number>;
  waiting: { id: string; waitUntil: number | null }[];
  holds: CapHold[];
  pauses: Pause[];
}

export interface LeftSummary {
  text: string;
  fields: {
    published: number;
    ready: number;
    waiting: number;
    stuck: number;
    flagged: number;
    /** Waiting workflows by the cap that holds them. */
    caps: { cap: string; until: string; workflows: number }[];
    /** Waiting for calls in flight (of another process) to settle under a cap. */
    inFlight: number;
    /** Waiting workflows that retry after an API error (or another short wait), and the first retry. */
    retries: { workflows: number; first: string | null };
    /** Waiting for their turn's Message Batch to end: a wait with no end of its own. */
    batched: number;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Pure: the summary of what is left. */
export function leftSummary(input: LeftInput): LeftSummary {
  const { counts } = input;
  const held = new Map(input.holds.map((h) => [h.workflowId, h]));
  const byCap = new Map<string, { cap: string; until: number; workflows: number }>();
  let retries = 0;
  let inFlight = 0;
  let batched = 0;
  let firstRetry: number | null = null;
  for (const w of input.waiting) {
    const hold = held.get(w.id);
    if (hold?.inFlight) {
      inFlight++;
      continue;
    }
    if (hold) {
      const key = `${hold.cap}\u0000${hold.until}`;
      const entry = byCap.get(key) ?? { cap: hold.cap, until: hold.until, workflows: 0 };
      entry.workflows++;
      byCap.set(key, entry);
      continue;
    }
    if (w.waitUntil === null) {
      batched++;
      continue;
    }
    retries++;
    if (firstRetry === null || w.waitUntil < firstRetry) firstRetry = w.waitUntil;
  }
  const caps = [...byCap.values()];
  const parts: string[] = [
    ...caps.map((c) => `${c.workflows} waiting for cap ${c.cap} until ${iso(c.until)}`),
    ...(inFlight ? [`${inFlight} waiting for calls in flight to settle`] : []),
    ...(retries
      ? [`${retries} waiting to retry${firstRetry === null ? "" : ` from ${iso(firstRetry)}`}`]
      : []),
    ...(batched ? [`${batched} waiting in Message Batches`] : []),
  ];
  if (counts.ready) {
    const paused = input.pauses.map((p) => `${p.agent} on ${p.model}`).join(", ");
    parts.push(`${counts.ready} ready${paused ? ` (paused: ${paused})` : ""}`);
  }
  if (counts.stuck) parts.push(`${counts.stuck} stuck (see review/)`);
  if (counts.flagged) parts.push(`${counts.flagged} flagged for review (see review/)`);
  const text = `left: ${
    parts.length ? parts.join(", ") : "nothing to do"
  }; ${counts.published} published in all`;
  return {
    text,
    fields: {
      published: counts.published,
      ready: counts.ready,
      waiting: counts.waiting,
      stuck: counts.stuck,
      flagged: counts.flagged,
      caps: caps.map((c) => ({ cap: c.cap, until: iso(c.until), workflows: c.workflows })),
      inFlight,
      retries: { workflows: retries, first: firstRetry === null ? null : iso(firstRetry) },
      batched,
    },
  };
}

/** What a drain on `backend` left, read from the store. */
export function leftAfterDrain(store: WorkflowStore, backend: Backend, pauses: Pause[]): LeftSummary {
  return leftSummary({
    counts: store.countByStatus(),
    waiting: store.waiting(),
    holds: store.holds(backend),
    pauses,
  });
}

/** The line a drain ends with for each agent a cap paused on a model. */
export function pausedText(p: Pause): string {
  return `cap ${p.cap} stopped the ${p.agent} on ${p.model}; it resets at ${new Date(p.until).toISOString()}`;
}
