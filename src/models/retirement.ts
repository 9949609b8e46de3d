/**
 * Model retirement, judged against a given day. Pure: the caller passes today (UTC), so that tests pass
 * a clock instead of depending on the wall date. A model is retired from its retirement date on: that
 * day the API starts refusing it.
 * @module
 */
import { type AgentId, DEFAULT_MODELS } from "../config/schema.ts";
import type { PricedModel } from "./price_book.ts";

/** A model this close to its retirement gets a warning. */
export const RETIREMENT_WARNING_DAYS = 60;

export interface Retirement {
  /** `retired`: calls fail now; `retiring`: within RETIREMENT_WARNING_DAYS. */
  kind: "retired" | "retiring";
  /** YYYY-MM-DD. */
  retires: string;
  /** Whole days from today to the retirement date (0 or less once retired). */
  days: number;
  /** What the catalog says to move to, if it says. */
  replacedBy: string | undefined;
}

/** The day (YYYY-MM-DD, UTC) retirement dates are compared with. */
export function retirementDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Whether a model with this retirement date is retired on `today`. */
export function isRetired(retires: string | undefined, today: string): boolean {
  return retires !== undefined && retires <= today;
}

/** The model's retirement if it is retired or retiring on `today`; undefined when it is neither. */
export function retirementOf(
  priced: Pick<PricedModel, "retires" | "replacedBy">,
  today: string,
): Retirement | undefined {
  const retires = priced.retires;
  if (retires === undefined) return undefined;
  const days = Math.round((Date.parse(retires) - Date.parse(today)) / 86_400_000);
  if (days > RETIREMENT_WARNING_DAYS) return undefined;
  return {
    kind: isRetired(retires, today) ? "retired" : "retiring",
    retires,
    days,
    replacedBy: priced.replacedBy,
  };
}

/** "retired on 2026-11-30" or "retires on 2027-01-22, in 52 days". */
export function retirementText(r: Retirement): string {
  return r.kind === "retired" ? `retired on ${r.retires}` : `retires on ${r.retires}, in ${r.days} days`;
}

/**
 * The model to suggest to an agent leaving a retiring one: the catalog's replacement, else (a model only
 * the config knows) the agent's default model.
 */
export function replacementFor(r: Pick<Retirement, "replacedBy">, agent: AgentId): string {
  return r.replacedBy ?? DEFAULT_MODELS[agent];
}
