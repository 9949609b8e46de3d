/**
 * The prices in force, model by model: the built-in price beside the config
 * override, which of the two a call is charged at, and the facts that go with
 * it. What `pressroom prices` prints. Pure: built from the catalog, the config
 * `prices` and the price book.
 * @module
 */
import type { PriceOverride } from "../config/schema.ts";
import { type ModelInfo, MODELS } from "./catalog.ts";
import { PriceBook } from "./price_book.ts";
import type { NanoRates } from "../pricing/cost.ts";

export interface PriceListEntry {
  /** The id as a call names it: a built-in model's canonical id, or a config key. */
  model: string;
  /** Other ids the built-in model answers to. */
  aliases: string[];
  /** The catalog's entry and its prices as nano-USD per token; undefined for a model only config knows. */
  builtIn: BuiltInPrice | undefined;
  /** The config entry a call to `model` is charged at, and the key it is under; undefined when none. */
  config: { key: string; prices: PriceOverride } | undefined;
  /** nano-USD per token, as charged (config fields left out take the standard multipliers). */
  rates: NanoRates;
  /** The long-prompt band in force (built-in only: an override replaces it). */
  longContext: { thresholdTokens: number; rates: NanoRates } | undefined;
  minCacheTokens: number;
  retires: string | undefined;
  source: string;
}

export interface BuiltInPrice {
  info: ModelInfo;
  rates: NanoRates;
  longContext: { thresholdTokens: number; rates: NanoRates } | undefined;
}

export interface PriceListOptions {
  book: PriceBook;
  overrides: Record<string, PriceOverride>;
}

/**
 * Every built-in model (in catalog order), then every config key that is not a built-in canonical id
 * (an alias given its own price, or a model only config knows), in config order.
 */
export function priceList({ book, overrides }: PriceListOptions): PriceListEntry[] {
  const catalogOnly = new PriceBook();
  const canonical = new Set(MODELS.map((m) => m.id));
  const ids = [...MODELS.map((m) => m.id), ...Object.keys(overrides).filter((k) => !canonical.has(k))];
  return ids.map((model) => {
    const priced = book.lookup(model);
    if (!priced) throw new Error(`price list: no price for ${model}`); // every id here is built in or configured
    const info = MODELS.find((m) => m.id === priced.canonicalId);
    const bare = info && catalogOnly.lookup(info.id);
    // The same search as PriceBook.lookup: the id's own entry, else one under the model's other ids.
    const key = Object.hasOwn(overrides, model)
      ? model
      : info && [info.id, ...info.aliases].find((id) => Object.hasOwn(overrides, id));
    return {
      model,
      aliases: info && model === info.id ? info.aliases : [],
      builtIn: info && bare ? { info, rates: bare.rates, longContext: bare.longContext } : undefined,
      config: key ? { key, prices: overrides[key] } : undefined,
      rates: priced.rates,
      longContext: priced.longContext,
      minCacheTokens: priced.minCacheTokens,
      retires: priced.retires,
      source: priced.source,
    };
  });
}
