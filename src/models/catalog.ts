/**
 * The built-in model catalog: prices and per-model facts, as data. This is the
 * one place a price lives; config `prices` overrides or extends it
 * (see `resolve.ts`). Prices are USD per million tokens.
 *
 * Sources, checked 2026-11-24 against stored copies of Anthropic's pages (see `source` per model):
 * pricing https://platform.claude.com/docs/en/about-claude/pricing, per-model overviews
 * https://platform.claude.com/docs/en/models/<model>/overview, effort
 * https://platform.claude.com/docs/en/build-with-claude/effort. Where a fact could only be found on
 * third-party pages the entry says so; prices that could not be confirmed take the higher figure, so
 * that the ledger never undercounts.
 * @module
 */

export type Family = "opus" | "sonnet" | "haiku";
export type Effort = "low" | "medium" | "high" | "xhigh" | "max";
export type ThinkingMode = "adaptive" | "enabled";

/** Prices in USD per million tokens. */
export interface TokenPrices {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

/** A price band that applies to a whole request whose prompt exceeds `thresholdTokens`. */
export interface LongContextBand {
  thresholdTokens: number;
  prices: TokenPrices;
}

export interface ModelInfo {
  id: string;
  /** Other ids that name the same model (an alias and its dated snapshot price the same). */
  aliases: string[];
  family: Family;
  prices: TokenPrices;
  longContext?: LongContextBand;
  /** Below this prefix length nothing is cached and the API says nothing. */
  minCacheTokens: number;
  /** Announced retirement date (YYYY-MM-DD), after which calls fail. */
  retires?: string;
  /** Which `thinking` types the model accepts. */
  thinking: ThinkingMode[];
  /** `output_config.effort` levels the model accepts; empty when it takes none. */
  effort: Effort[];
  /** Tokens this model's tokenizer counts for text that Sonnet 4.6 counts as 1.0. */
  tokenizerFactor: number;
  /** Where the price came from and when it was checked. */
  source: string;
}

/** Web search, a server tool: $10 per 1,000 requests, plus its tokens. */
export const WEB_SEARCH_USD_PER_REQUEST = 0.01;
/** Message Batches API: this percentage off every token price. */
export const BATCH_DISCOUNT_PERCENT = 50;

/** Standard cache multipliers on the input price, used when config gives only input/output. */
export const CACHE_MULTIPLIERS = { cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 } as const;

const PRICING = "platform.claude.com/docs/en/about-claude/pricing, checked 2026-11-24";
const page = (model: string) => `platform.claude.com/docs/en/models/${model}/overview, checked 2026-11-24`;

const opusPrices: TokenPrices = {
  input: 5,
  output: 25,
  cacheWrite5m: 6.25,
  cacheWrite1h: 10,
  cacheRead: 0.5,
};
const sonnet4Prices: TokenPrices = {
  input: 3,
  output: 15,
  cacheWrite5m: 3.75,
  cacheWrite1h: 6,
  cacheRead: 0.3,
};
const sonnet5Prices: TokenPrices = {
  input: 2,
  output: 10,
  cacheWrite5m: 2.5,
  cacheWrite1h: 4,
  cacheRead: 0.2,
};
const opus55Prices: TokenPrices = { input: 4, output: 20, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2 };
const haiku55Prices: TokenPrices = {
  input: 0.1,
  output: 0.5,
  cacheWrite5m: 0.125,
  cacheWrite1h: 0.2,
  cacheRead: 0.01,
};
const haiku55LongPrices: TokenPrices = {
  input: 0.5,
  output: 2.5,
  cacheWrite5m: 0.625,
  cacheWrite1h: 1,
  cacheRead: 0.05,
};
const haikuPrices: TokenPrices = { input: 1, output: 5, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 };

const ALL_EFFORT: Effort[] = ["low", "medium", "high", "xhigh", "max"];
const EFFORT_NO_XHIGH: Effort[] = ["low", "medium", "high", "max"];

export const MODELS: readonly ModelInfo[] = [
  {
    id: "claude-opus-5-5",
    aliases: [],
    family: "opus",
    prices: opus55Prices, // cache read is 0.05x input on this model
    minCacheTokens: 1024, // not published; the common minimum
    thinking: ["adaptive"],
    effort: ALL_EFFORT, // xhigh only on third-party pages
    tokenizerFactor: 1.35,
    source: page("opus-5-5"),
  },
  {
    id: "claude-opus-5",
    aliases: [],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 512,
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: PRICING,
  },
  {
    id: "claude-opus-4-8",
    aliases: [],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 1024,
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: PRICING,
  },
  {
    id: "claude-opus-4-7",
    aliases: [],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 2048, // third-party figure; another says 4096
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: PRICING,
  },
  {
    id: "claude-opus-4-6",
    aliases: [],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 4096,
    thinking: ["adaptive", "enabled"],
    effort: EFFORT_NO_XHIGH,
    tokenizerFactor: 1,
    source: PRICING,
  },
  {
    id: "claude-opus-4-5-20251101",
    aliases: ["claude-opus-4-5"],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 4096,
    retires: "2027-01-22", // shared notes; the current overview calls it Legacy with no date
    thinking: ["enabled"],
    effort: ["low", "medium", "high"],
    tokenizerFactor: 1,
    source: PRICING,
  },
  {
    id: "claude-sonnet-5-5",
    aliases: [],
    family: "sonnet",
    // Launch price; third-party trackers report cache reads cut to 0.10 on 2026-10-07, unconfirmed.
    prices: sonnet5Prices,
    minCacheTokens: 1024, // not published; the common minimum
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: page("sonnet-5-5"),
  },
  {
    id: "claude-sonnet-5",
    aliases: [],
    family: "sonnet",
    prices: sonnet5Prices,
    minCacheTokens: 1024,
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: PRICING,
  },
  {
    id: "claude-sonnet-4-6",
    aliases: [],
    family: "sonnet",
    prices: sonnet4Prices,
    minCacheTokens: 1024,
    thinking: ["adaptive", "enabled"],
    effort: EFFORT_NO_XHIGH,
    tokenizerFactor: 1,
    source: PRICING,
  },
  {
    id: "claude-sonnet-4-5-20250929",
    aliases: ["claude-sonnet-4-5"],
    family: "sonnet",
    prices: sonnet4Prices,
    minCacheTokens: 1024,
    retires: "2026-11-30", // deprecated, replaced by Sonnet 5.5
    thinking: ["enabled"],
    effort: [],
    tokenizerFactor: 1,
    source: PRICING,
  },
  {
    id: "claude-haiku-5-5",
    aliases: [],
    family: "haiku",
    prices: haiku55Prices, // 1h write and cache read from third-party pages
    longContext: { thresholdTokens: 100_000, prices: haiku55LongPrices },
    minCacheTokens: 4096, // not published; Haiku 4.5's figure
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    source: page("haiku-5-5"),
  },
  {
    id: "claude-haiku-4-5-20251001",
    aliases: ["claude-haiku-4-5"],
    family: "haiku",
    prices: haikuPrices,
    minCacheTokens: 4096,
    thinking: ["enabled"],
    effort: [],
    tokenizerFactor: 1,
    source: PRICING,
  },
];
