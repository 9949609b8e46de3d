/**
 * What `status` and `caps` both show of the caps, so that they say what `run` does: every cap hold
 * judged against the caps in force (the config they were given), without writing anything (`run`
 * applies the verdicts at its next pass); the agents a cap paused on a model; and the note that
 * caps count real API spend only.
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { formatUsd } from "../pricing/money.ts";
import { holdReason, holdsAfter, type HoldVerdict, judgeCapHolds, pausesOf } from "../pipeline/cap_holds.ts";
import { type Pause, type Workflow, WorkflowStore } from "../pipeline/store.ts";
import { openExistingStorage } from "./context.ts";
import type { Io } from "./io.ts";

export interface CapView {
  ledger: Ledger;
  store: WorkflowStore;
  /** The verdict on each held workflow, by id. */
  verdicts: Map<string, HoldVerdict>;
  /** The agents paused on a model once the verdicts apply. */
  pauses: Pause[];
  close(): Promise<void>;
}

/** The ledger and workflows, with every hold on the real API judged against `loaded`'s caps. */
export async function openCapView(loaded: LoadedConfig, io: Io): Promise<CapView> {
  const storage = await openExistingStorage(loaded, io);
  const { ledger } = storage;
  try {
    const store = storage.workflows(io.now);
    const judged = judgeCapHolds(
      { ledger, store, settingsOf: (agent) => loaded.config.agents[agent] },
      "anthropic",
      io.now(),
    );
    return {
      ledger,
      store,
      verdicts: new Map(judged.map((j) => [j.hold.workflowId, j.verdict])),
      pauses: pausesOf(holdsAfter(judged)),
      close: () => storage.close(),
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** A workflow's status, reason and wait as `run` will see them once the verdict on its hold applies. */
export function asJudged(
  w: Pick<Workflow, "status" | "reason" | "waitUntil">,
  verdict: HoldVerdict | undefined,
): Pick<Workflow, "status" | "reason" | "waitUntil"> {
  if (w.status !== "waiting" || !verdict || verdict.kind === "keep") return w;
  if (verdict.kind === "move") {
    return { status: "waiting", reason: holdReason(verdict.hold), waitUntil: verdict.hold.until };
  }
  return { status: "ready", reason: `${verdict.why}: the next run takes it`, waitUntil: null };
}

export function pauseText(p: Pause): string {
  return `paused: the ${p.agent} takes no work on ${p.model} until ${
    new Date(p.until).toISOString()
  }: cap ${p.cap} refused it`;
}

export function pauseJson(p: Pause): { agent: string; model: string; cap: string; until: string } {
  return { agent: p.agent, model: p.model, cap: p.cap, until: new Date(p.until).toISOString() };
}

/** Says what the caps count; simulated spend today, if any, is named and left out. */
export function countedNote(simulatedTodayNano: number): string {
  return "caps count real API spend only" +
    (simulatedTodayNano > 0
      ? `; the simulated model's ${formatUsd(simulatedTodayNano)} today is not counted`
      : "");
}
