/**
 * The built-in model catalog: prices and per-model facts, as data. This is the
 * one place a price lives; config `prices` overrides or extends it
 * (see `resolve.ts`). Prices are USD per million tokens.
 *
 * Sources, checked 2026-11-24 against stored copies of Anthropic's pages (see `source` per model):
 * pricing https://platform.claude.com/docs/en/about-claude/pricing, per-model overviews
 * https://platform.claude.com/docs/en/models/<model>/overview, effort
 * https://platform.claude.com/docs/en/build-with-claude/effort. The 5.5 models and Fable 5 / 5.1 were
 * checked again on 2026-12-01 (their `source` says so). Where a fact could only be found on third-party
 * pages the entry says so; prices that could not be confirmed take the higher figure, so that the ledger
 * never undercounts.
 * @module
 */

/**
 * The model line, which picks the simulator's profile (src/sim/profiles.ts) and nothing else. Fable,
 * the line above Opus, has no profile of its own yet and plays Opus, the nearest one.
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
  /** Announced retirement date (YYYY-MM-DD): from that day on, calls fail. */
  retires?: string;
  /** The model to move to from one that retires: same line, same price or better. */
  replacedBy?: string;
  /** Which `thinking` types the model accepts. */
  thinking: ThinkingMode[];
  /** `output_config.effort` levels the model accepts; empty when it takes none. */
  effort: Effort[];
  /** Tokens this model's tokenizer counts for text that Sonnet 4.6 counts as 1.0. */
  tokenizerFactor: number;
  /** The highest `max_tokens` a request may ask for ("Max output" on the model's overview page). */
  maxOutputTokens: number;
  /** Whether US-only inference (`usage.inference_geo` "us") bills it at DATA_RESIDENCY_PERCENT. */
  dataResidencyPremium: boolean;
  /** Where the price came from and when it was checked. */
  source: string;
}

/** Web search, a server tool: $10 per 1,000 requests, plus its tokens. */
export const WEB_SEARCH_USD_PER_REQUEST = 0.01;
/** Message Batches API: this percentage off every token price. */
export const BATCH_DISCOUNT_PERCENT = 50;

/**
 * US-only inference: every token price (input, output, cache writes and reads) × 1.1, on Opus 4.6,
 * Sonnet 4.6 and every later model; the models before them do not take `inference_geo` and price as
 * before. It stacks with the batch discount and with the cache multipliers (it multiplies the rates they
 * give). Web search is a request fee, not a token price: not multiplied.
 * Sources, checked 2026-12-02: https://platform.claude.com/docs/en/build-with-claude/data-residency
 * ("supported on Claude Opus 4.6 and all subsequent models"; the response's `usage.inference_geo` says
 * where inference ran); https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html
 * ("US: ... A 1.1x pricing multiplier applies"; "supported on Claude Opus 4.6, Claude Sonnet 4.6, and
 * later models", a 400 on Opus 4.5, Sonnet 4.5 and Haiku 4.5); the pricing page's section
 * https://platform.claude.com/docs/en/about-claude/pricing#data-residency-pricing as quoted in
 * anthropics/claude-code issue 60641 ("a 1.1x multiplier to all token pricing categories").
 * Which models it applies to is `dataResidencyPremium` on each entry below.
 */
export const DATA_RESIDENCY_PERCENT = 110;

/** Standard cache multipliers on the input price, used when config gives only input/output. */
export const CACHE_MULTIPLIERS = { cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 } as const;

const PRICING = "platform.claude.com/docs/en/about-claude/pricing, checked 2026-11-24";
/** Sources re-checked on 2026-12-01: the full address of the page each price was read from. */
const PRICING_RECHECKED = "https://platform.claude.com/docs/en/about-claude/pricing, checked 2026-12-01";
const recheckedPage = (model: string, lang = "en") =>
  `https://platform.claude.com/docs/${lang}/models/${model}/overview, checked 2026-12-01`;

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
/** Cache reads at 0.05 x input (the 5.5 rate), not the usual 0.1 x. */
const opus55Prices: TokenPrices = { input: 4, output: 20, cacheWrite5m: 5, cacheWrite1h: 8, cacheRead: 0.2 };
/** Sonnet 5's card except cache reads, cut to 0.05 x input ($0.10) on 2026-10-07. */
const sonnet55Prices: TokenPrices = {
  input: 2,
  output: 10,
  cacheWrite5m: 2.5,
  cacheWrite1h: 4,
  cacheRead: 0.1,
};
/** Fable 5: cache reads at the usual 0.1 x input. */
const fable5Prices: TokenPrices = {
  input: 10,
  output: 50,
  cacheWrite5m: 12.5,
  cacheWrite1h: 20,
  cacheRead: 1,
};
/** Fable 5.1: Fable 5's card with cache reads at 0.025 x input. */
const fable51Prices: TokenPrices = { ...fable5Prices, cacheRead: 0.25 };
/** Haiku 5.5 reads at 0.1 x input in both bands (not the 0.05 x of Opus and Sonnet 5.5). */
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

/**
 * "Max output" (K = 1,000: the API's own error reads "max_tokens: 9999999 > 128000, which is the maximum
 * allowed number of output tokens", quoted in Effect-TS/effect pull request 7129). Checked 2026-12-02 on
 * the stored overview pages https://platform.claude.com/docs/<lang>/models/<model>/overview(.md), whose
 * "How it compares to the current lineup" table also lists the current models; each entry names its page.
 * Batch requests may ask for more on some models (300K, beta); Pressroom does not send those.
 */
const MAX_OUTPUT_128K = 128_000;
const MAX_OUTPUT_64K = 64_000;

const ALL_EFFORT: Effort[] = ["low", "medium", "high", "xhigh", "max"];
const EFFORT_NO_XHIGH: Effort[] = ["low", "medium", "high", "max"];

export const MODELS: readonly ModelInfo[] = [
  {
    // Pricing page, "Model pricing" row Claude Fable 5.1: $10 / $12.50 / $20 / $0.25 / $50 per MTok.
    // Id `claude-fable-5-1` from platform.claude.com/docs/zh-CN/models/fable-5-1/overview.md (released
    // 2026-09-01, thinking "Adaptive (always on)"). Not found on Anthropic's stored pages, so the safe pick:
    // the effort levels (a LiteLLM announcement, BerriAI/litellm discussion 39163, says low to max; all five
    // are allowed), the tokenizer (the newest models' 1.35, the higher estimate) and the cache minimum
    // (512, Fable 5's, which the same announcement says carries over). No retirement announced.
    id: "claude-fable-5-1",
    aliases: [],
    family: "opus", // no Fable profile in the simulator; see `Family`
    prices: fable51Prices,
    minCacheTokens: 512,
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    // 128K: the lineup table of en/models/opus-4-6/overview.md (Fable 5.1 row)
    maxOutputTokens: MAX_OUTPUT_128K,
    dataResidencyPremium: true,
    source: PRICING_RECHECKED,
  },
  {
    // Pricing page, row Claude Fable 5: $10 / $12.50 / $20 / $1 / $50 per MTok. Id `claude-fable-5` and
    // "Legacy, released June 9, 2026" (no retirement date) from
    // https://platform.claude.com/docs/en/models/fable-5/overview.md; thinking "Adaptive (always on)";
    // effort low to max including xhigh per Anthropic's effort page (a copy clipped at
    // wwsun.github.io/clippings/effort-parameter). Cache minimum 512 from shared/notes/anthropic-api.md;
    // not on a stored Anthropic page. Tokenizer not published: 1.35, the higher estimate.
    id: "claude-fable-5",
    aliases: [],
    family: "opus", // no Fable profile in the simulator; see `Family`
    prices: fable5Prices,
    minCacheTokens: 512,
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: en/models/fable-5/overview.md
    dataResidencyPremium: true,
    source: PRICING_RECHECKED,
  },
  {
    // https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview lists $4 / $20 / $5 / $8 and cache
    // read $0.20 per MTok: 0.05 x input, as the catalog already had.
    id: "claude-opus-5-5",
    aliases: [],
    family: "opus",
    prices: opus55Prices,
    minCacheTokens: 512, // the 5.5 models cache from 512 (shared/notes/anthropic-api.md, 2026)
    thinking: ["adaptive"],
    effort: ALL_EFFORT, // xhigh only on third-party pages
    tokenizerFactor: 1.35,
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: zh-CN/models/opus-5-5/overview
    dataResidencyPremium: true,
    source: recheckedPage("opus-5-5", "zh-CN"),
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
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: zh-CN/models/opus-5/overview.md
    dataResidencyPremium: true,
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
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: de/models/opus-4-8/overview.md
    dataResidencyPremium: true,
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
    // 128K. No stored Anthropic page: Google Cloud's model page says 128,000
    // (docs.cloud.google.com/gemini-enterprise-agent-platform/models/partner-models/claude/opus-4-7), as do
    // the Bedrock model card and Effect-TS/effect PR 7129, which quotes Anthropic's overview.
    maxOutputTokens: MAX_OUTPUT_128K,
    dataResidencyPremium: true,
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
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: en/models/opus-4-6/overview.md
    dataResidencyPremium: true,
    source: PRICING,
  },
  {
    id: "claude-opus-4-5-20251101",
    aliases: ["claude-opus-4-5"],
    family: "opus",
    prices: opusPrices,
    minCacheTokens: 4096,
    retires: "2027-01-22", // shared notes; the current overview calls it Legacy with no date
    // The newest Opus 4 at the same price (Anthropic named Opus 4.8 as the upgrade from Opus 4, retired
    // 2026-06-15, per its release notes as summarised by ottto-ai/ai-provider-watch).
    replacedBy: "claude-opus-4-8",
    thinking: ["enabled"],
    effort: ["low", "medium", "high"],
    tokenizerFactor: 1,
    maxOutputTokens: MAX_OUTPUT_64K, // 64K: pt-BR/models/opus-4-5/overview.md
    dataResidencyPremium: false,
    source: PRICING,
  },
  {
    id: "claude-sonnet-5-5",
    aliases: [],
    family: "sonnet",
    // Cache reads $0.10 (0.05 x input) since 2026-10-07. The pricing page's prompt-caching section gives
    // 0.05 x for Opus 5.5 and Sonnet 5.5 (as quoted with its address by docs.rs/synaps 0.10.2, pricing
    // module), and trackers that re-read the live page record the cut (kurofune/claudit v1.9.2 on
    // 2026-10-24, TheKrush/PromptFuel v1.0.23). The stored copy of the model's own overview
    // (platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview) still shows the launch price, $0.20.
    prices: sonnet55Prices,
    minCacheTokens: 512, // the 5.5 models cache from 512 (shared/notes/anthropic-api.md, 2026)
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: zh-CN/models/sonnet-5-5/overview
    dataResidencyPremium: true,
    source: `${PRICING_RECHECKED} (prompt caching: reads 0.05 x input on Sonnet 5.5)`,
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
    maxOutputTokens: MAX_OUTPUT_128K, // 128K: zh-CN/models/sonnet-5/overview
    dataResidencyPremium: true,
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
    // 128K: zh-CN/models/sonnet-4-6/overview.md (third-party pages such as docs.venice.ai still say 64K;
    // Anthropic's page wins)
    maxOutputTokens: MAX_OUTPUT_128K,
    dataResidencyPremium: true,
    source: PRICING,
  },
  {
    id: "claude-sonnet-4-5-20250929",
    aliases: ["claude-sonnet-4-5"],
    family: "sonnet",
    prices: sonnet4Prices,
    minCacheTokens: 1024,
    retires: "2026-11-30", // deprecated
    // The same price, and Pressroom's default Sonnet: the one-line move third-party migration notes name
    // (e.g. aiproductivity.ai on Anthropic retiring Sonnet 4.5); some platforms moved to Sonnet 5.5.
    replacedBy: "claude-sonnet-4-6",
    thinking: ["enabled"],
    effort: [],
    tokenizerFactor: 1,
    maxOutputTokens: MAX_OUTPUT_64K, // 64K: zh-TW/models/sonnet-4-5/overview.md
    dataResidencyPremium: false,
    source: PRICING,
  },
  {
    id: "claude-haiku-5-5",
    aliases: [],
    family: "haiku",
    // The overview lists input, output and the 5m write in both bands and the 1h write up to 100,000
    // tokens ($0.20); the stored copy is cut off after that. The long band's 1h write ($1) and the reads
    // ($0.01 and $0.05, 0.1 x input, not the 0.05 x of Opus and Sonnet 5.5) are from third-party pages:
    // docs.rs/synaps 0.10.2 quoting the pricing page, apidog's Haiku 5.5 API guide, kurofune/claudit
    // v1.9.2. 0.1 x is also the higher figure, so the ledger never undercounts.
    prices: haiku55Prices,
    longContext: { thresholdTokens: 100_000, prices: haiku55LongPrices },
    minCacheTokens: 512, // the 5.5 models cache from 512 (shared/notes/anthropic-api.md, 2026)
    thinking: ["adaptive"],
    effort: ALL_EFFORT,
    tokenizerFactor: 1.35,
    // 128K: the lineup table of about-claude/models/whats-new-opus-5 (Haiku 5.5 row)
    maxOutputTokens: MAX_OUTPUT_128K,
    dataResidencyPremium: true,
    source: recheckedPage("haiku-5-5", "zh-CN"),
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
    // 64K: the lineup table of zh-CN/models/sonnet-5-5/overview (Haiku 4.5 row)
    maxOutputTokens: MAX_OUTPUT_64K,
    dataResidencyPremium: false,
    source: PRICING,
  },
];
