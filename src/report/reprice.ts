/**
 * Re-pricing recorded calls at another model's prices, pure: token counts are
 * scaled by the tokenizer ratio of the two models, and output tokens by the
 * observed output-length ratio when both models have data for the agent.
 * @module
 */
import { type CallUsage, costNano } from "../pricing/cost.ts";
import type { PriceBook } from "../models/price_book.ts";
import { UnknownModelError } from "../errors.ts";

/** A recorded call's tokens, and the model it ran on. */
export interface CallTokens extends Omit<CallUsage, "batch"> {
  model: string;
}

export interface RepriceOptions {
  prices: PriceBook;
  to: string;
  /** Mean output tokens per call of each model for this agent, where known. */
  meanOutput: Record<string, number>;
  /** Priced at Message Batches prices: the agent sends its turns in batches. */
  batch?: boolean;
}

/** The factor output tokens are scaled by when moving from `from` to `to`. */
export function outputRatio(options: RepriceOptions, from: string): { ratio: number; observed: boolean } {
  const a = options.meanOutput[from];
  const b = options.meanOutput[options.to];
  if (a && b) return { ratio: b / a, observed: true };
  return { ratio: tokenizerRatio(options.prices, from, options.to), observed: false };
}

export function tokenizerRatio(prices: PriceBook, from: string, to: string): number {
  const source = prices.lookup(from);
  const target = prices.lookup(to);
  if (!source) throw new UnknownModelError(from);
  if (!target) throw new UnknownModelError(to);
  return target.tokenizerFactor / source.tokenizerFactor;
}

/** What the calls would have cost on `options.to`, in nano-USD. */
export function reprice(calls: CallTokens[], options: RepriceOptions): number {
  const target = options.prices.require(options.to);
  let total = 0;
  for (const call of calls) {
    const input = tokenizerRatio(options.prices, call.model, options.to);
    const output = outputRatio(options, call.model).ratio;
    const scale = (n: number, by: number) => Math.ceil(n * by);
    total += costNano({
      inputTokens: scale(call.inputTokens, input),
      outputTokens: scale(call.outputTokens, output),
      cacheReadTokens: scale(call.cacheReadTokens, input),
      cacheWrite5mTokens: scale(call.cacheWrite5mTokens, input),
      cacheWrite1hTokens: scale(call.cacheWrite1hTokens, input),
      webSearchRequests: call.webSearchRequests,
      batch: options.batch ?? false,
      // Where inference ran stays as it was: a US-only workspace pays its premium on the new model too.
      inferenceGeo: call.inferenceGeo ?? null,
    }, target);
  }
  return total;
}
