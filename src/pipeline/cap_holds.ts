/**
 * Cap holds: a workflow a cap refused waits only while the caps in force would still refuse the
 * call that was refused. The hold keeps that call (model, worst case, the `max_tokens` part of it);
 * each hold is judged again against the caps and the agent's `maxTokens` as configured now: a raised
 * or removed cap, a lower `maxTokens`, or a new cap day lifts it; a lowered cap may move it to
 * another cap or a later reset. `run` judges and applies at every scheduler pass (so at every start
 * and config reload); `status` and `caps` judge without writing, and show what `run` will do. The
 * judging is pure; `judgeCapHolds` reads the ledger, `reconcileCapHolds` writes the verdicts.
 * @module
 */
import type { AgentConfig, AgentId } from "../config/schema.ts";
import type { CapBreach } from "../errors.ts";
import type { Backend, CallOutput, Ledger } from "../ledger/ledger.ts";
import { resumedMaxTokens } from "./replies.ts";
import type { CapHold, Pause, WorkflowStore } from "./store.ts";

/** How long a workflow waits when only other calls' reservations kept it under a cap. */
export const IN_FLIGHT_BACKOFF_MS = 15_000;

/** What a refusal means for the stage: wait (for calls in flight, or the cap's reset), or stop. */
export type CapWait =
  | { kind: "wait"; inFlight: boolean; until: number }
  | { kind: "stuck"; why: string };

/** Pure: what a refusal means. A cap that never resets, or a call over the cap on its own, cannot be waited out. */
export function capWait(breach: CapBreach, now: number): CapWait {
  if (breach.resetsAt === null) return { kind: "stuck", why: "it does not reset" };
  if (breach.requestNano > breach.limitNano) {
    return { kind: "stuck", why: `one call alone is over the cap: raise ${breach.cap} or lower maxTokens` };
  }
  // Only calls in flight stand in the way: they settle far below their worst case, soon.
  if (breach.spentNano + breach.requestNano <= breach.limitNano) {
    return { kind: "wait", inFlight: true, until: now + IN_FLIGHT_BACKOFF_MS };
  }
  return { kind: "wait", inFlight: false, until: breach.resetsAt };
}

/** The reason a held workflow shows in `status`. */
export function holdReason(hold: Pick<CapHold, "cap" | "inFlight" | "until">): string {
  return hold.inFlight
    ? `waiting for calls in flight to settle under cap ${hold.cap}`
    : `waiting for cap ${hold.cap} to reset at ${new Date(hold.until).toISOString()}`;
}

/** Pure: a refused call's worst case with `maxTokens` as configured now in place of its own `max_tokens`. */
export function withMaxTokens(requestNano: number, output: CallOutput | null, maxTokens: number): number {
  return output ? requestNano + (maxTokens - output.maxTokens) * output.nanoPerToken : requestNano;
}

export type HoldVerdict =
  | { kind: "lift"; why: string }
  | { kind: "keep" }
  | { kind: "move"; hold: CapHold };

/**
 * Pure: a hold judged against what the caps in force say of its call now (`breach`, undefined when
 * the call would fit). A refusal the stage cannot wait out lifts the hold too: the stage's next call
 * is refused at once and stops the workflow with the reason.
 */
export function judgeHold(hold: CapHold, breach: CapBreach | undefined, now: number): HoldVerdict {
  if (!breach) {
    return {
      kind: "lift",
      why: hold.inFlight
        ? `calls in flight settled under cap ${hold.cap}`
        : `cap ${hold.cap} no longer refuses the call under the caps in force`,
    };
  }
  const wait = capWait(breach, now);
  if (wait.kind === "stuck") {
    return { kind: "lift", why: `cap ${breach.cap} now refuses it for good: ${wait.why}` };
  }
  const same = breach.cap === hold.cap && wait.inFlight === hold.inFlight &&
    (wait.inFlight || wait.until === hold.until);
  if (same) return { kind: "keep" };
  // A hold for calls in flight keeps its time to look again; the scheduler looks at every pass.
  const until = wait.inFlight && hold.inFlight ? hold.until : wait.until;
  return { kind: "move", hold: { ...hold, cap: breach.cap, inFlight: wait.inFlight, until } };
}

/** What an agent working on a model is known by among the pauses. */
export function pauseKey(agent: string, model: string): string {
  return `${agent}\u0000${model}`;
}

/** Pure: the agents (on a model) that take no work, from the holds in force; holds for calls in flight pause nothing. */
export function pausesOf(holds: CapHold[]): Pause[] {
  const first = new Map<string, Pause>();
  for (const h of holds) {
    if (h.inFlight) continue;
    const key = pauseKey(h.agent, h.model);
    const seen = first.get(key);
    if (!seen || h.until < seen.until) {
      first.set(key, { agent: h.agent, model: h.model, cap: h.cap, until: h.until });
    }
  }
  return [...first.values()].sort((a, b) => a.agent.localeCompare(b.agent) || a.model.localeCompare(b.model));
}

export interface JudgeDeps {
  ledger: Ledger;
  store: WorkflowStore;
  /** The agent's output settings as configured now. */
  settingsOf: (agent: AgentId) => Pick<AgentConfig, "maxTokens" | "maxTokensCeiling">;
}

/**
 * The max_tokens a held call goes out with once its stage resumes: the agent's maxTokens as configured
 * now, or more where the stage had already raised it for a cut-off tool call (as the loop resumes it).
 * Judging the call at the configured maxTokens alone would lift a hold that the raised call, sent again,
 * is refused under at once: refused, held, lifted, over and over.
 */
function resumedMaxTokensOf(deps: JudgeDeps, hold: CapHold): number {
  const { maxTokens, maxTokensCeiling } = deps.settingsOf(hold.agent);
  return resumedMaxTokens(deps.store.events(hold.workflowId), hold.agent, maxTokens, maxTokensCeiling);
}

export interface Judged {
  hold: CapHold;
  verdict: HoldVerdict;
}

/** Every hold of `backend` judged against the ledger's caps in force. Reads only. */
export function judgeCapHolds(deps: JudgeDeps, backend: Backend, now: number): Judged[] {
  return deps.store.holds(backend).map((hold) => {
    const nano = withMaxTokens(hold.requestNano, hold.output, resumedMaxTokensOf(deps, hold));
    return { hold, verdict: judgeHold(hold, deps.ledger.wouldRefuse(hold, nano), now) };
  });
}

/** Pure: the holds as they stand once the verdicts are applied. */
export function holdsAfter(judged: Judged[]): CapHold[] {
  return judged.flatMap(({ hold, verdict }) =>
    verdict.kind === "keep" ? [hold] : verdict.kind === "move" ? [verdict.hold] : []
  );
}

export interface Reconciled {
  lifted: (CapHold & { why: string })[];
  moved: CapHold[];
  /** The holds as they stand once the verdicts apply. */
  holds: CapHold[];
}

/**
 * Judges every hold of `backend` and applies the verdicts. Each is applied only if the hold and its
 * workflow are still as judged: another process may have worked or moved the workflow meanwhile.
 */
export function reconcileCapHolds(deps: JudgeDeps, backend: Backend, now: number): Reconciled {
  const judged = judgeCapHolds(deps, backend, now);
  const result: Reconciled = { lifted: [], moved: [], holds: holdsAfter(judged) };
  for (const { hold, verdict } of judged) {
    if (verdict.kind === "lift" && deps.store.liftHold(hold, verdict.why)) {
      result.lifted.push({ ...hold, why: verdict.why });
    } else if (verdict.kind === "move" && deps.store.moveHold(hold, verdict.hold, holdReason(verdict.hold))) {
      result.moved.push(verdict.hold);
    }
  }
  return result;
}
