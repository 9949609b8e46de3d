/**
 * A call's worst-case cost, for the reservation made before it is sent. Pure.
 *
 * Input tokens are bounded by UTF-8 bytes: a byte-level tokenizer never makes
 * more tokens than bytes, and JSON overcounts the text it wraps. Each stretch of
 * the prefix is priced at the highest rate it could be billed at: up to a 1h
 * breakpoint the 1h write rate, up to a 5m breakpoint the 5m write rate, after
 * the last breakpoint the input rate. Output is bounded by `max_tokens`.
 *
 * In a multi-turn loop each request repeats the previous one and adds the newest
 * turns. The previous response's usage gives that prefix's exact token count
 * (a `KnownPrefix`), so only the new blocks need the byte bound.
 *
 * Where inference runs is known only from the response (`usage.inference_geo`, and a workspace's default
 * geo may be "us" without the request saying so), so the token part is always reserved at the
 * data-residency premium of models that bill one (110 %): a US-only bill never passes its reservation.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { PricedModel } from "../models/price_book.ts";
import { type CacheTtl, ratesFor, scaleUp } from "../pricing/cost.ts";
import { prefixBlocks } from "./request.ts";

/** Tokens the API adds around the prompt: role markers, the tool-use system prompt. */
export const REQUEST_OVERHEAD_TOKENS = 1_000;
/** Tokens the API may add around each block. */
export const BLOCK_OVERHEAD_TOKENS = 8;
/** The most input tokens one web search may bring back into the context: what a reservation assumes. */
export const WEB_SEARCH_WORST_CASE_TOKENS = 25_000;
/**
 * What a reservation assumes one web fetch brings back: a whole context window. `max_content_tokens` is
 * approximate and does not bound binary content such as a PDF (SDK 1.12 `WebFetchTool20250910`), so only the
 * context window bounds it, 1M tokens on the largest models.
 */
export const WEB_FETCH_WORST_CASE_TOKENS = 1_000_000;

const encoder = new TextEncoder();

interface Stretch {
  tokens: number;
  ttl: CacheTtl | null;
}

/** The first `blocks` prompt blocks of a request, which the API counted as `tokens` (overhead included). */
export interface KnownPrefix {
  blocks: number;
  tokens: number;
}

/**
 * The prompt cut at its breakpoints, each stretch with the TTL of the breakpoint
 * that ends it. The blocks of a known prefix count nothing here: `worstCaseNano` adds them.
 */
export function promptStretches(
  params: Anthropic.MessageCreateParamsNonStreaming,
  known?: KnownPrefix,
): Stretch[] {
  const stretches: Stretch[] = [];
  let tokens = known ? 0 : REQUEST_OVERHEAD_TOKENS;
  for (const [i, block] of prefixBlocks(params).entries()) {
    if (!known || i >= known.blocks) {
      tokens += encoder.encode(JSON.stringify(block)).length + BLOCK_OVERHEAD_TOKENS;
    }
    const cc = (block as { cache_control?: { ttl?: CacheTtl } | null }).cache_control;
    if (cc) {
      stretches.push({ tokens, ttl: cc.ttl ?? "5m" });
      tokens = 0;
    }
  }
  stretches.push({ tokens, ttl: null });
  return stretches;
}

/** Each server tool call the request allows, with the most tokens its result may bring back. */
function serverToolResults(
  params: Anthropic.MessageCreateParamsNonStreaming,
): { search: boolean; tokens: number }[] {
  return (params.tools ?? []).flatMap((t): { search: boolean; tokens: number }[] => {
    const type = "type" in t && typeof t.type === "string" ? t.type : "";
    const uses = (t as { max_uses?: number | null }).max_uses ?? 10;
    if (type.startsWith("web_search_")) {
      return Array.from({ length: uses }, () => ({ search: true, tokens: WEB_SEARCH_WORST_CASE_TOKENS }));
    }
    if (type.startsWith("web_fetch_")) {
      return Array.from({ length: uses }, () => ({ search: false, tokens: WEB_FETCH_WORST_CASE_TOKENS }));
    }
    return [];
  });
}

export function worstCaseNano(
  params: Anthropic.MessageCreateParamsNonStreaming,
  model: PricedModel,
  known?: KnownPrefix,
  /** Sent in a Message Batch: the discount takes off the token part, as costNano's does; searches stay. */
  { batch = false }: { batch?: boolean } = {},
): number {
  const stretches = promptStretches(params, known);
  const knownTokens = known?.tokens ?? 0;
  const server = serverToolResults(params);
  const searches = server.filter((r) => r.search).length;
  // With server-side search or fetch the model samples again after each one, re-reading the prompt and
  // every result so far: the prompt up to (calls + 1) times, result i up to (calls + 1 - i) times, the
  // largest results first in the worst case.
  const passes = server.length + 1;
  const searchTokens = server.map((r) => r.tokens).sort((a, b) => b - a)
    .reduce((n, tokens, i) => n + tokens * (server.length - i), 0);
  const promptTokens = (stretches.reduce((n, s) => n + s.tokens, 0) + knownTokens) * passes + searchTokens;
  const r = ratesFor(model, promptTokens);
  const highest = (ttl: Stretch["ttl"]) =>
    Math.max(r.input, ttl === "1h" ? r.cacheWrite1h : ttl === "5m" ? r.cacheWrite5m : 0);
  // The known prefix may span stretches: it takes the highest rate of any.
  const input = stretches.reduce((n, s) => n + s.tokens * highest(s.ttl), 0) +
    knownTokens * Math.max(...stretches.map((s) => highest(s.ttl)));
  const tokens = input * passes + searchTokens * r.input + params.max_tokens * r.output;
  // Rounded up like costNano's premium and discount, from a token cost at least as large: never below the bill.
  const kept = batch ? 100 - model.batchDiscountPercent : 100;
  return scaleUp(tokens, model.dataResidencyPercent * kept, 100 * 100) + searches * model.webSearchNano;
}
