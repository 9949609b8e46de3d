/**
 * Cap arithmetic, pure: which caps apply to a call, and whether
 * spent + reserved + this call fits under each. All amounts are nano-USD.
 * @module
 */
import type { CapBreach } from "../errors.ts";
import type { CapsConfig } from "../config/schema.ts";
import { usdToNano } from "../pricing/money.ts";
import type { Period } from "./period.ts";

export interface CapRule {
  /** As the config spells it: `dailyUsd`, `perModelDailyUsd["claude-opus-*"]`, `perWorkflowUsd`. */
  name: string;
  scope: "day" | "workflow";
  limitNano: number;
  /** Only models matching this glob count toward the cap. */
  modelGlob?: string;
}

/** Spent and reserved amounts a cap check needs, read in the reserving transaction. */
export interface SpendSnapshot {
  /** Today's spent and reserved nano-USD per model. */
  dayByModel: Map<string, { spent: number; reserved: number }>;
  /** The workflow's spent and reserved nano-USD, all time. */
  workflow: { spent: number; reserved: number };
}

const globCache = new Map<string, RegExp>();

/** `*` and `?` globs (the config allows no other special characters). */
export function globMatches(glob: string, model: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re.test(model);
}

/** Every cap configured, whatever the model. */
export function allCapRules(caps: CapsConfig): CapRule[] {
  return [
    { name: "dailyUsd", scope: "day", limitNano: usdToNano(caps.dailyUsd) },
    ...Object.entries(caps.perModelDailyUsd).map(([glob, usd]): CapRule => ({
      name: `perModelDailyUsd["${glob}"]`,
      scope: "day",
      limitNano: usdToNano(usd),
      modelGlob: glob,
    })),
    { name: "perWorkflowUsd", scope: "workflow", limitNano: usdToNano(caps.perWorkflowUsd) },
  ];
}

/** The caps a call on `model` must fit under. */
export function capRulesFor(caps: CapsConfig, model: string): CapRule[] {
  return allCapRules(caps).filter((rule) => !rule.modelGlob || globMatches(rule.modelGlob, model));
}

/** Spent and reserved toward one cap. */
export function usageOf(rule: CapRule, snapshot: SpendSnapshot): { spent: number; reserved: number } {
  if (rule.scope === "workflow") return snapshot.workflow;
  let spent = 0;
  let reserved = 0;
  for (const [model, amounts] of snapshot.dayByModel) {
    if (rule.modelGlob && !globMatches(rule.modelGlob, model)) continue;
    spent += amounts.spent;
    reserved += amounts.reserved;
  }
  return { spent, reserved };
}

/**
 * A cap that `requestNano` more would break, or undefined when all hold. A cap that the spend alone
 * (without other calls' open reservations) would refuse comes before one that only calls in flight
 * fill: waiting for those to settle would not help.
 */
export function findBreach(
  rules: CapRule[],
  snapshot: SpendSnapshot,
  requestNano: number,
  day: Period,
): CapBreach | undefined {
  let found: CapBreach | undefined;
  for (const rule of rules) {
    const { spent, reserved } = usageOf(rule, snapshot);
    if (spent + reserved + requestNano <= rule.limitNano) continue;
    const breach = {
      cap: rule.name,
      limitNano: rule.limitNano,
      spentNano: spent,
      reservedNano: reserved,
      requestNano,
      resetsAt: rule.scope === "day" ? day.end : null,
    };
    if (spent + requestNano > rule.limitNano) return breach;
    found ??= breach;
  }
  return found;
}

/** One cap as `pressroom caps` shows it: the spend of one backend (the real API unless asked). */
export interface CapStatus {
  cap: string;
  scope: "day" | "workflow";
  limitNano: number;
  spentNano: number;
  reservedNano: number;
  leftNano: number;
  resetsAt: number | null;
}

/** Every configured cap against a snapshot: the day's caps, and the workflow's when `withWorkflow`. Pure. */
export function capStatusOf(
  caps: CapsConfig,
  snapshot: SpendSnapshot,
  day: Period,
  withWorkflow: boolean,
): CapStatus[] {
  return allCapRules(caps)
    .filter((rule) => rule.scope === "day" || withWorkflow)
    .map((rule) => {
      const { spent, reserved } = usageOf(rule, snapshot);
      return {
        cap: rule.name,
        scope: rule.scope,
        limitNano: rule.limitNano,
        spentNano: spent,
        reservedNano: reserved,
        leftNano: Math.max(0, rule.limitNano - spent - reserved),
        resetsAt: rule.scope === "day" ? day.end : null,
      };
    });
}
