/**
 * What a call cost, from the `usage` object of a response. Pure and exact:
 * integer tokens times integer nano-USD rates.
 *
 * cost = (input*in + 5m writes*w5m + 1h writes*w1h + cache reads*read + output*out)
 *          × data residency (110 % where `inference_geo` says "us" and the model bills it)
 *          × batch (50 %)
 *        + web searches*search price; `input_tokens` already excludes cached tokens.
 * The token part is multiplied once, in integers, and rounded up: never undercount.
 * @module
 */
/** Per-token rates in nano-USD, one per kind of token the API bills. */
export interface NanoRates {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/** What pricing a call needs to know of a model; the price book's `PricedModel` carries it. */
export interface ModelRates {
  rates: NanoRates;
  /** Rates for a whole request whose prompt exceeds the threshold (Haiku 5.5). */
  longContext: { thresholdTokens: number; rates: NanoRates } | undefined;
  webSearchNano: number;
  batchDiscountPercent: number;
  /**
   * Percent of the token cost billed when `usage.inference_geo` names a residency geo ("us"): 110 where
   * the premium applies, 100 where it does not. A model only the config knows takes 110: never undercount.
   */
  dataResidencyPercent: number;
}

/** The prompt cache lifetimes a breakpoint may ask for. */
export const CACHE_TTLS = ["5m", "1h"] as const;
export type CacheTtl = typeof CACHE_TTLS[number];

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
  /** Where inference ran: "us" or "global" (SDK 1.12 `Usage.inference_geo`). */
  inference_geo?: string | null;
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
  /**
   * `usage.inference_geo` as reported (null when absent). Optional so that usage built by hand (re-pricing,
   * fixtures) stays valid; absent prices as "global".
   */
  inferenceGeo?: string | null;
}

/** A count as a whole number of tokens; a fraction (never sent, but not trusted) rounds up. */
const count = (
  n: number | null | undefined,
) => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.ceil(n) : 0);

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
    inferenceGeo: typeof usage.inference_geo === "string" && usage.inference_geo.trim() !== ""
      ? usage.inference_geo
      : null,
  };
}

/**
 * Whether inference ran under data residency. "global" (the default) and an absent field are standard
 * pricing; "us" is the one residency geo documented today, and a geo not documented yet is taken as one
 * too, so that a new region is never booked below its bill.
 */
export function residencyGeo(geo: string | null | undefined): boolean {
  return typeof geo === "string" && geo.trim() !== "" && geo.trim().toLowerCase() !== "global";
}

/**
 * ⌈n × numerator / denominator⌉, exactly for a whole n up to 2^53 (BigInt: no float rounding). Beyond that
 * no count is exact anyway (a usage no API sends): the float product, rounded up, as before.
 */
export function scaleUp(n: number, numerator: number, denominator: number): number {
  if (!Number.isSafeInteger(n)) return Math.ceil(n * numerator / denominator);
  const product = BigInt(n) * BigInt(numerator);
  const d = BigInt(denominator);
  return Number((product + d - 1n) / d);
}

/** The rates that apply to a request with this many prompt tokens (cached or not). */
export function ratesFor(model: ModelRates, promptTokens: number): NanoRates {
  const band = model.longContext;
  return band && promptTokens > band.thresholdTokens ? band.rates : model.rates;
}

/**
 * The exact cost in nano-USD. The data-residency premium and the batch discount multiply the token part
 * together (each a percentage), rounded up once: never undercount.
 */
export function costNano(usage: CallUsage, model: ModelRates): number {
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWrite5mTokens +
    usage.cacheWrite1hTokens;
  const r = ratesFor(model, prompt);
  const tokens = usage.inputTokens * r.input +
    usage.cacheWrite5mTokens * r.cacheWrite5m +
    usage.cacheWrite1hTokens * r.cacheWrite1h +
    usage.cacheReadTokens * r.cacheRead +
    usage.outputTokens * r.output;
  const residency = residencyGeo(usage.inferenceGeo) ? model.dataResidencyPercent : 100;
  const batch = usage.batch ? 100 - model.batchDiscountPercent : 100;
  return scaleUp(tokens, residency * batch, 100 * 100) + usage.webSearchRequests * model.webSearchNano;
}
