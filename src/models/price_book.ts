/**
 * The price book: the built-in catalog merged with config `prices`, as exact
 * nano-USD per token. Pure: no I/O. An id that is neither built in nor
 * configured has no price, and `require` refuses it.
 * @module
 */
import { UnknownModelError } from "../errors.ts";
import { perMTokToNanoPerToken, usdToNano } from "../ledger/money.ts";
import type { PriceOverride } from "../config/schema.ts";
import {
  BATCH_DISCOUNT_PERCENT,
  CACHE_MULTIPLIERS,
  type Effort,
  type Family,
  MODELS,
  type ThinkingMode,
  type TokenPrices,
  WEB_SEARCH_USD_PER_REQUEST,
} from "./catalog.ts";

/** Per-token rates in nano-USD. */
export type NanoRates = { [K in keyof TokenPrices]: number };

export interface PricedModel {
  /** The id as asked for (the ledger records what was requested). */
  id: string;
  /** The catalog's canonical id, or the configured id. */
  canonicalId: string;
  family: Family | undefined;
  rates: NanoRates;
  /** Rates for a whole request whose prompt exceeds the threshold (Haiku 5.5). */
  longContext: { thresholdTokens: number; rates: NanoRates } | undefined;
  webSearchNano: number;
  batchDiscountPercent: number;
  minCacheTokens: number;
  retires: string | undefined;
  thinking: ThinkingMode[] | undefined;
  effort: Effort[] | undefined;
  tokenizerFactor: number;
  source: string;
}

const byId = new Map(MODELS.flatMap((m) => [m.id, ...m.aliases].map((id) => [id, m] as const)));

function toRates(prices: TokenPrices): NanoRates {
  const rates = {} as NanoRates;
  for (const key of Object.keys(prices) as (keyof TokenPrices)[]) {
    const nano = perMTokToNanoPerToken(prices[key]);
    if (nano === undefined) throw new Error(`price ${key}=${prices[key]} is finer than 0.001 USD/MTok`);
    rates[key] = nano;
  }
  return rates;
}

export interface PriceBookOptions {
  overrides?: Record<string, PriceOverride>;
  webSearchUsdPerRequest?: number;
}

export class PriceBook {
  readonly #overrides: Record<string, PriceOverride>;
  readonly #webSearchNano: number;

  constructor(options: PriceBookOptions = {}) {
    this.#overrides = options.overrides ?? {};
    this.#webSearchNano = usdToNano(options.webSearchUsdPerRequest ?? WEB_SEARCH_USD_PER_REQUEST);
  }

  /** The model's prices, or undefined when neither the catalog nor config knows it. */
  lookup(model: string): PricedModel | undefined {
    const builtin = byId.get(model);
    const override = this.#overrides[model] ??
      (builtin ? [builtin.id, ...builtin.aliases].map((id) => this.#overrides[id]).find(Boolean) : undefined);
    if (!builtin && !override) return undefined;
    const base = builtin?.prices;
    const prices: TokenPrices = override
      ? {
        input: override.input,
        output: override.output,
        cacheWrite5m: override.cacheWrite5m ?? override.input * CACHE_MULTIPLIERS.cacheWrite5m,
        cacheWrite1h: override.cacheWrite1h ?? override.input * CACHE_MULTIPLIERS.cacheWrite1h,
        cacheRead: override.cacheRead ?? override.input * CACHE_MULTIPLIERS.cacheRead,
      }
      : base!;
    return {
      id: model,
      canonicalId: builtin?.id ?? model,
      family: builtin?.family ?? familyOf(model),
      rates: toRates(prices),
      longContext: !override && builtin?.longContext
        ? { thresholdTokens: builtin.longContext.thresholdTokens, rates: toRates(builtin.longContext.prices) }
        : undefined,
      webSearchNano: this.#webSearchNano,
      batchDiscountPercent: BATCH_DISCOUNT_PERCENT,
      minCacheTokens: override?.minCacheTokens ?? builtin?.minCacheTokens ?? 1024,
      retires: override?.retires ?? builtin?.retires,
      thinking: builtin?.thinking,
      effort: builtin?.effort,
      tokenizerFactor: builtin?.tokenizerFactor ?? 1,
      source: override ? "pressroom.json prices" : builtin!.source,
    };
  }

  /** Like `lookup`, but an unknown model is an error naming where it was asked for. */
  require(model: string, where = ""): PricedModel {
    const priced = this.lookup(model);
    if (!priced) throw new UnknownModelError(model, where);
    return priced;
  }
}

function familyOf(model: string): Family | undefined {
  return (["opus", "sonnet", "haiku"] as const).find((f) => model.includes(f));
}
