/**
 * Request assembly, pure. The layout keeps the cacheable prefix identical
 * across agents and turns:
 *   tools (the same for every agent) → system [shared stable ⚑, agent stable ⚑]
 *   → messages [volatile block, this stage's turns…, where the previous request ended ⚑, newest turn ⚑]
 * where ⚑ is a `cache_control` breakpoint, each with its own TTL (1h ones first: the API refuses a 1h
 * breakpoint after a 5m one). The API looks back at most 20 blocks
 * from a breakpoint for an earlier entry: a turn that adds more (eight tool calls and their results,
 * a search with its results) would leave the previous request's entry behind and write the whole
 * conversation again, so the previous request's end carries the fourth breakpoint and is read there.
 * @module
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { CacheTtl } from "../pricing/cost.ts";
import { type BreakpointTtls, fixedTtls, orderly } from "../pricing/cache_ttl.ts";
import type { Effort } from "../models/catalog.ts";

type Params = Anthropic.MessageCreateParamsNonStreaming;
export type Turn = Anthropic.MessageParam;
export type ToolDefinition = Anthropic.Tool;

/** The API's limit on `cache_control` breakpoints in one request. */
export const MAX_BREAKPOINTS = 4;
/** The smallest thinking budget the API takes (ThinkingConfigEnabled.budget_tokens). */
export const MIN_THINKING_BUDGET = 1024;

export interface PromptSpec {
  model: string;
  maxTokens: number;
  /** One TTL for every breakpoint, or one per breakpoint (cache_ttl_policy.ts chooses them for `auto`). */
  cacheTtl: CacheTtl | BreakpointTtls;
  /** Stable blocks, most shared first; each ends a cached prefix. */
  stable: string[];
  /** Rendered from the workflow state; never cached on its own. */
  volatile: string;
  /** This stage's turns after the volatile block: assistant, user, … ending on a user turn. */
  turns?: Turn[];
  tools?: ToolDefinition[];
  /** The previous request of this loop, whose first `blocks` prompt blocks this one repeats. */
  knownPrefix?: { blocks: number };
  /** Offer Anthropic's server-side web search with at most this many uses. */
  webSearchMaxUses?: number;
  /** Its version and domain filter; web fetch takes the same filter. */
  webSearchOptions?: WebToolOptions;
  /** Offer Anthropic's server-side web fetch (of addresses already in the conversation). */
  webFetch?: { maxUses: number; maxContentTokens: number; type?: WebFetchType };
  effort?: Effort;
  thinking?: { type: "adaptive" } | { type: "enabled"; budgetTokens: number };
  /**
   * Asks the API why the cache missed against this earlier response (cache diagnostics): null opts in with
   * nothing to compare yet. Left out, the request carries no `diagnostics`.
   */
  previousMessageId?: string | null;
}

/** The request's TTLs, one per breakpoint kind. */
export function breakpointTtls(spec: Pick<PromptSpec, "cacheTtl">): BreakpointTtls {
  return typeof spec.cacheTtl === "string" ? fixedTtls(spec.cacheTtl) : spec.cacheTtl;
}

/** The web search tool versions Pressroom offers (SDK 1.12 `WebSearchTool20250305`, `…20260209`). */
export const WEB_SEARCH_TYPES = ["web_search_20250305", "web_search_20260209"] as const;
export type WebSearchType = typeof WEB_SEARCH_TYPES[number];
/** The web fetch tool versions Pressroom offers (SDK 1.12 `WebFetchTool20250910`, `…20260209`). */
export const WEB_FETCH_TYPES = ["web_fetch_20250910", "web_fetch_20260209"] as const;
export type WebFetchType = typeof WEB_FETCH_TYPES[number];

export interface WebToolOptions {
  type?: WebSearchType;
  /** Only these domains (the API takes one of the two lists, not both). */
  allowedDomains?: string[];
  blockedDomains?: string[];
}

/** A server tool's domain filter as the API spells it. */
function domains(
  options: WebToolOptions | undefined,
): { allowed_domains?: string[]; blocked_domains?: string[] } {
  if (options?.allowedDomains?.length) return { allowed_domains: options.allowedDomains };
  if (options?.blockedDomains?.length) return { blocked_domains: options.blockedDomains };
  return {};
}

export function buildRequest(spec: PromptSpec): Params {
  const ttls = breakpointTtls(spec);
  const control = (ttl: CacheTtl) => ({ type: "ephemeral" as const, ttl });
  const stableTtls = spec.stable.map((_, i) => ttls.stable[Math.min(i, ttls.stable.length - 1)]);
  if (!orderly([...stableTtls, ...(spec.turns?.length ? [ttls.turns] : [])])) {
    throw new Error(`cache TTLs ${[...stableTtls, ttls.turns].join(" ")} put a 1h breakpoint after a 5m one`);
  }
  const tools: Anthropic.ToolUnion[] = [...(spec.tools ?? [])];
  if (spec.webSearchMaxUses) {
    tools.push({
      type: spec.webSearchOptions?.type ?? WEB_SEARCH_TYPES[0],
      name: "web_search",
      max_uses: spec.webSearchMaxUses,
      // Called by the model only: no code-execution pass (the later versions' dynamic filtering) that
      // max_uses does not count, and the worst case would not hold.
      allowed_callers: ["direct"],
      ...domains(spec.webSearchOptions),
    });
  }
  if (spec.webFetch) {
    tools.push({
      type: spec.webFetch.type ?? WEB_FETCH_TYPES[0],
      name: "web_fetch",
      max_uses: spec.webFetch.maxUses,
      allowed_callers: ["direct"],
      // Bounds a fetched page's text (not a PDF: the worst case reserves a context window, estimate.ts).
      max_content_tokens: spec.webFetch.maxContentTokens,
      ...domains(spec.webSearchOptions),
    });
  }
  const messages: Turn[] = [
    { role: "user", content: [{ type: "text", text: spec.volatile }] },
    ...(spec.turns ?? []).map((turn) => ({ ...turn })),
  ];
  const marks = [countBlocks(messages)];
  // Where the previous request ended, as an index into this one's message blocks.
  const previous = spec.knownPrefix && spec.knownPrefix.blocks - tools.length - spec.stable.length;
  if (previous !== undefined && previous >= 1 && previous < marks[0]) marks.unshift(previous);
  if (spec.turns?.length) { for (const end of marks) markBlock(messages, end - 1, control(ttls.turns)); }
  const params: Params = {
    model: spec.model,
    max_tokens: spec.maxTokens,
    system: spec.stable.map((text, i) => ({
      type: "text" as const,
      text,
      cache_control: control(stableTtls[i]),
    })),
    messages,
  };
  if (spec.previousMessageId !== undefined) {
    params.diagnostics = { previous_message_id: spec.previousMessageId };
  }
  if (tools.length) params.tools = tools;
  if (spec.effort) params.output_config = { effort: spec.effort };
  if (spec.thinking) {
    params.thinking = spec.thinking.type === "adaptive"
      ? { type: "adaptive" }
      : { type: "enabled", budget_tokens: spec.thinking.budgetTokens };
  }
  const breakpoints = countBreakpoints(params);
  if (breakpoints > MAX_BREAKPOINTS) {
    throw new Error(`request has ${breakpoints} cache breakpoints; the API allows ${MAX_BREAKPOINTS}`);
  }
  return params;
}

function countBlocks(messages: Turn[]): number {
  return messages.reduce((n, m) => n + (typeof m.content === "string" ? 1 : m.content.length), 0);
}

/** Puts a breakpoint on the `index`-th content block of `messages` (copying what it changes). */
function markBlock(messages: Turn[], index: number, cacheControl: Anthropic.CacheControlEphemeral): void {
  let rest = index;
  for (const message of messages) {
    const blocks: Anthropic.ContentBlockParam[] = typeof message.content === "string"
      ? [{ type: "text", text: message.content }]
      : [...message.content];
    if (rest < blocks.length) {
      blocks[rest] = { ...blocks[rest], cache_control: cacheControl } as Anthropic.ContentBlockParam;
      message.content = blocks;
      return;
    }
    rest -= blocks.length;
  }
}

/** Every block of the request in prefix order: tools, system, then message content. */
export function prefixBlocks(params: Params): object[] {
  const text = (t: string): object[] => [{ type: "text", text: t }];
  const system = typeof params.system === "string" ? text(params.system) : params.system ?? [];
  const messages = params.messages.flatMap((m): object[] =>
    typeof m.content === "string" ? text(m.content) : [...m.content]
  );
  return [...(params.tools ?? []), ...system, ...messages];
}

export function countBreakpoints(params: Params): number {
  return prefixBlocks(params).filter((block) => "cache_control" in block && block.cache_control).length;
}
