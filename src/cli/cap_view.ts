/**
 * What `status` and `caps` both show of the caps, so that they say the same thing as `run`: the
 * ledger opened with every cap hold judged again against the caps in force, the agents a cap
 * paused, and the note that caps count real API spend only.
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { formatUsd } from "../ledger/money.ts";
import { reconcileCapHolds } from "../pipeline/cap_holds.ts";
import { type Pause, WorkflowStore } from "../pipeline/store.ts";
import { type Io, openLedger } from "./context.ts";

/** The ledger and workflows, with cap holds judged against `loaded`'s caps (real API spend). */
export function openWithCapsInForce(loaded: LoadedConfig, io: Io): { ledger: Ledger; store: WorkflowStore } {
  const ledger = openLedger(loaded, io);
  try {
    const store = new WorkflowStore(ledger.db, io.now);
    reconcileCapHolds({ ledger, store }, "anthropic", io.now());
    return { ledger, store };
  } catch (error) {
    ledger.close();
    throw error;
  }
}

export function pauseText(p: Pause): string {
  return `paused: the ${p.agent} takes no work until ${
    new Date(p.until).toISOString()
  }: cap ${p.cap} refused it`;
}

export function pauseJson(p: Pause): { agent: string; cap: string; until: string } {
  return { agent: p.agent, cap: p.cap, until: new Date(p.until).toISOString() };
}

/** Says what the caps count; simulated spend today, if any, is named and left out. */
export function countedNote(simulatedTodayNano: number): string {
  return "caps count real API spend only" +
    (simulatedTodayNano > 0
      ? `; the simulated model's ${formatUsd(simulatedTodayNano)} today is not counted`
      : "");
}
