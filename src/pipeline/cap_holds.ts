/**
 * Cap holds: a workflow a cap refused waits only while the caps in force would still refuse the
 * call that was refused. The hold keeps that call (model, worst case); at every start, config
 * change and scheduler pass (and before `status` and `caps` answer) each hold is judged again: a
 * raised or removed cap, or a new cap day, lifts it; a lowered cap may move it to another cap or a
 * later reset. The judging is pure; `reconcileCapHolds` applies it to the ledger and the store.
 * @module
 */
import type { CapBreach } from "../errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Backend } from "../ledger/ledger.ts";
import type { CapHold, WorkflowStore } from "./store.ts";

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

export interface Reconciled {
  lifted: (CapHold & { why: string })[];
  moved: CapHold[];
}

/** Judges every hold of `backend` against the ledger's caps in force, and applies the verdicts. */
export function reconcileCapHolds(
  deps: { ledger: Ledger; store: WorkflowStore },
  backend: Backend,
  now: number,
): Reconciled {
  const result: Reconciled = { lifted: [], moved: [] };
  for (const hold of deps.store.holds(backend)) {
    const verdict = judgeHold(hold, deps.ledger.wouldRefuse(hold, hold.requestNano), now);
    if (verdict.kind === "lift") {
      deps.store.liftHold(hold, verdict.why);
      result.lifted.push({ ...hold, why: verdict.why });
    } else if (verdict.kind === "move") {
      deps.store.holdForCap(verdict.hold, holdReason(verdict.hold));
      result.moved.push(verdict.hold);
    }
  }
  return result;
}
