/**
 * The price book: the built-in catalog merged with config `prices`, as exact
 * nano-USD per token. Pure: no I/O. An id that is neither built in nor
 * configured has no price, and `require` refuses it.
 * @module
 */
import { UnknownModelError } from "../errors.ts";
import { perMTokToNanoPerToken, usdToNano } from "../pricing/money.ts";
import type { PriceOverride } from "../config/schema.ts";
import type { ModelRates, NanoRates } from "../pricing/cost.ts";
import {
  BATCH_DISCOUNT_PERCENT,
  CACHE_MULTIPLIERS,
  DATA_RESIDENCY_PERCENT,
  type Effort,
  type Family,
  MODELS,
  type ThinkingMode,
  type TokenPrices,
  WEB_SEARCH_USD_PER_REQUEST,
} from "./catalog.ts";

export interface PricedModel extends ModelRates {
  /** The id as asked for (the ledger records what was requested). */
  id: string;
  /** The catalog's canonical id, or the configured id. */
  canonicalId: string;
  family: Family | undefined;
  minCacheTokens: number;
  retires: string | undefined;
  /** What the catalog says replaces a retiring model; undefined for a model only the config knows. */
  replacedBy: string | undefined;
  thinking: ThinkingMode[] | undefined;
  effort: Effort[] | undefined;
  tokenizerFactor: number;
  /** The highest `max_tokens` the model takes; undefined for a config-only model that does not say. */
  maxOutputTokens: number | undefined;
  source: string;
}

const byId = new Map(MODELS.flatMap((m) => [m.id, ...m.aliases].map((id) => [id, m] as const)));

/** One price in USD/MTok as nano-USD per token; a price finer than that cannot be kept and is refused. */
function nanoOf(key: string, price: number): number {
  const nano = perMTokToNanoPerToken(price);
  if (nano === undefined) throw new Error(`price ${key}=${price} is finer than 0.001 USD/MTok`);
  return nano;
}

function toRates(prices: TokenPrices): NanoRates {
  const rates = {} as NanoRates;
  for (const key of Object.keys(prices) as (keyof TokenPrices)[]) rates[key] = nanoOf(key, prices[key]);
  return rates;
}

/**
 * A config price as rates. Cache prices it leaves out take the standard multipliers on input, in whole
 * nano-USD rounded up (0.001 × 1.25 is finer than the ledger counts): never undercount.
 */
function overrideRates(override: PriceOverride): NanoRates {
  const input = nanoOf("input", override.input);
  const given = (key: keyof TokenPrices, derived: number) =>
    override[key] === undefined ? derived : nanoOf(key, override[key]);
  return {
    input,
    output: nanoOf("output", override.output),
    cacheWrite5m: given("cacheWrite5m", Math.ceil(input * CACHE_MULTIPLIERS.cacheWrite5m)),
    cacheWrite1h: given("cacheWrite1h", input * CACHE_MULTIPLIERS.cacheWrite1h),
    cacheRead: given("cacheRead", Math.ceil(input / 10)), // × CACHE_MULTIPLIERS.cacheRead, in integers
  };
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
    // Own keys only: a model named "constructor" or "toString" is not a price.
    const own = (id: string) => Object.hasOwn(this.#overrides, id) ? this.#overrides[id] : undefined;
    const override = own(model) ??
      (builtin ? [builtin.id, ...builtin.aliases].map(own).find(Boolean) : undefined);
    if (!builtin && !override) return undefined;
    return {
      id: model,
      canonicalId: builtin?.id ?? model,
      family: builtin?.family ?? familyOf(model),
      rates: override ? overrideRates(override) : toRates(builtin!.prices),
      longContext: !override && builtin?.longContext
        ? { thresholdTokens: builtin.longContext.thresholdTokens, rates: toRates(builtin.longContext.prices) }
        : undefined,
      webSearchNano: this.#webSearchNano,
      batchDiscountPercent: BATCH_DISCOUNT_PERCENT,
      minCacheTokens: override?.minCacheTokens ?? builtin?.minCacheTokens ?? 1024,
      retires: override?.retires ?? builtin?.retires,
      replacedBy: builtin?.replacedBy,
      thinking: builtin?.thinking,
      effort: builtin?.effort,
      tokenizerFactor: builtin?.tokenizerFactor ?? 1,
      maxOutputTokens: override?.maxOutputTokens ?? builtin?.maxOutputTokens,
      dataResidencyPercent: !builtin || builtin.dataResidencyPremium ? DATA_RESIDENCY_PERCENT : 100,
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
