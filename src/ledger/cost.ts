/**
 * What a call cost, from the `usage` object of a response. Pure and exact:
 * integer tokens times integer nano-USD rates.
 *
 * cost = input*in + 5m writes*w5m + 1h writes*w1h + cache reads*read + output*out
 *        + web searches*search price; `input_tokens` already excludes cached tokens.
 * @module
 */
import type { NanoRates, PricedModel } from "../models/price_book.ts";

export type CacheTtl = "5m" | "1h";

/** The fields of the API's `usage` we read; any of them may be null or missing. */
export interface ApiUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?:
    | { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null }
    | null;
  server_tool_use?: { web_search_requests?: number | null } | null;
  service_tier?: string | null;
}

/** Usage with every count settled to a number. */
export interface CallUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  webSearchRequests: number;
  batch: boolean;
}

const count = (
  n: number | null | undefined,
) => (typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 0);

/**
 * Settles missing fields. Cache writes without the 5m/1h breakdown are taken at
 * the TTL the request asked for; writes the breakdown does not account for are
 * too, so that a partial breakdown never lowers the cost.
 */
export function normalizeUsage(usage: ApiUsage, requestedTtl: CacheTtl): CallUsage {
  const total = count(usage.cache_creation_input_tokens);
  let w5m = count(usage.cache_creation?.ephemeral_5m_input_tokens);
  let w1h = count(usage.cache_creation?.ephemeral_1h_input_tokens);
  const unaccounted = Math.max(0, total - w5m - w1h);
  if (requestedTtl === "1h") w1h += unaccounted;
  else w5m += unaccounted;
  return {
    inputTokens: count(usage.input_tokens),
    outputTokens: count(usage.output_tokens),
    cacheReadTokens: count(usage.cache_read_input_tokens),
    cacheWrite5mTokens: w5m,
    cacheWrite1hTokens: w1h,
    webSearchRequests: count(usage.server_tool_use?.web_search_requests),
    batch: usage.service_tier === "batch",
  };
}

/** The rates that apply to a request with this many prompt tokens (cached or not). */
export function ratesFor(model: PricedModel, promptTokens: number): NanoRates {
  const band = model.longContext;
  return band && promptTokens > band.thresholdTokens ? band.rates : model.rates;
}

/** The exact cost in nano-USD. A batch discount is rounded up: never undercount. */
export function costNano(usage: CallUsage, model: PricedModel): number {
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWrite5mTokens +
    usage.cacheWrite1hTokens;
  const r = ratesFor(model, prompt);
  const tokens = usage.inputTokens * r.input +
    usage.cacheWrite5mTokens * r.cacheWrite5m +
    usage.cacheWrite1hTokens * r.cacheWrite1h +
    usage.cacheReadTokens * r.cacheRead +
    usage.outputTokens * r.output;
  const discounted = usage.batch ? Math.ceil(tokens * (100 - model.batchDiscountPercent) / 100) : tokens;
  return discounted + usage.webSearchRequests * model.webSearchNano;
}
