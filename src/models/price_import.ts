/**
 * What importing a price map would change, against the prices in force, and
 * the config `prices` that result. Pure: nano-USD integers in, config objects
 * out; no file is read or written here.
 *
 * Every entry written carries all five prices, so nothing is left to the
 * float multipliers: a field the map does not give keeps the price in force
 * (so an override never silently changes a price the map did not give), and
 * a new model without cache prices gets the standard multipliers, rounded up.
 * @module
 */
import type { PriceOverride } from "../config/schema.ts";
import { nanoToPerMTok } from "./decimal.ts";
import type { ImportedModel, PriceField } from "./litellm.ts";
import { PRICE_FIELDS } from "./litellm.ts";
import type { PriceBook } from "./price_book.ts";
import type { NanoRates } from "../pricing/cost.ts";

export interface FieldChange {
  field: PriceField;
  /** nano-USD per token. */
  from: number;
  to: number;
}

export interface PlannedModel {
  model: string;
  /** All five prices as they will be in force, nano-USD per token. */
  rates: NanoRates;
  /** Empty for a new model. */
  changes: FieldChange[];
}

export interface SkippedModel {
  model: string;
  reason: string;
}

export interface ImportPlan {
  added: PlannedModel[];
  changed: PlannedModel[];
  unchanged: string[];
  skipped: SkippedModel[];
  /** Entries of the file that are not Claude models. */
  ignored: number;
}

/** Compares every imported model with the price `book` charges for it now. */
export function planImport(models: ImportedModel[], book: PriceBook, ignored = 0): ImportPlan {
  const plan: ImportPlan = { added: [], changed: [], unchanged: [], skipped: [], ignored };
  for (const { model, rates: given } of models) {
    const current = book.lookup(model);
    if (!current) {
      plan.added.push({ model, rates: withStandardCache(given), changes: [] });
      continue;
    }
    const rates = { ...current.rates, ...given } as NanoRates;
    const changes = PRICE_FIELDS.filter((f) => rates[f] !== current.rates[f])
      .map((field) => ({ field, from: current.rates[field], to: rates[field] }));
    if (changes.length === 0) plan.unchanged.push(model);
    else if (current.longContext) {
      // An override replaces the whole price, band included (see PriceBook.lookup): importing one flat
      // price would charge long prompts at the short-prompt rate.
      plan.skipped.push({
        model,
        reason:
          `its built-in price has a band for prompts over ${current.longContext.thresholdTokens} tokens, ` +
          `which config prices cannot express; left as built in`,
      });
    } else plan.changed.push({ model, rates, changes });
  }
  return plan;
}

/** The standard cache multipliers on input (5m 1.25 x, 1h 2 x, read 0.1 x), rounded up to a whole nano. */
function withStandardCache(given: ImportedModel["rates"]): NanoRates {
  return {
    input: given.input,
    output: given.output,
    cacheWrite5m: given.cacheWrite5m ?? Math.ceil(given.input * 5 / 4),
    cacheWrite1h: given.cacheWrite1h ?? given.input * 2,
    cacheRead: given.cacheRead ?? Math.ceil(given.input / 10),
  };
}

/**
 * The config entry for a planned model: its five prices in USD/MTok, keeping `minCacheTokens`, `retires`
 * and `maxOutputTokens`.
 */
export function overrideFor(planned: PlannedModel, existing?: PriceOverride): PriceOverride {
  const entry: PriceOverride = {
    input: nanoToPerMTok(planned.rates.input),
    output: nanoToPerMTok(planned.rates.output),
    cacheWrite5m: nanoToPerMTok(planned.rates.cacheWrite5m),
    cacheWrite1h: nanoToPerMTok(planned.rates.cacheWrite1h),
    cacheRead: nanoToPerMTok(planned.rates.cacheRead),
  };
  if (existing?.minCacheTokens !== undefined) entry.minCacheTokens = existing.minCacheTokens;
  if (existing?.retires !== undefined) entry.retires = existing.retires;
  if (existing?.maxOutputTokens !== undefined) entry.maxOutputTokens = existing.maxOutputTokens;
  return entry;
}

/**
 * The raw config (as parsed from the file) with the plan's models written into `prices`: every other
 * field, and the order of keys, kept; a changed model keeps its place, a new one is added at the end,
 * and `prices` is added at the end of the file when it has none. `raw` is not modified.
 */
export function applyPlan(raw: Record<string, unknown>, plan: ImportPlan): Record<string, unknown> {
  const before = raw.prices;
  const prices: Record<string, unknown> =
    typeof before === "object" && before !== null && !Array.isArray(before)
      ? { ...before as Record<string, unknown> }
      : {};
  for (const planned of [...plan.changed, ...plan.added]) {
    const existing = prices[planned.model] as PriceOverride | undefined;
    prices[planned.model] = overrideFor(planned, existing);
  }
  return { ...raw, prices };
}
