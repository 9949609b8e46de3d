/**
 * The simulated model: a backend that speaks the Anthropic Messages API
 * (POST /v1/messages, the same request and response JSON) so that the whole
 * pipeline runs offline with the real SDK, in process through the SDK's `fetch`
 * option or behind the loopback server (server.ts).
 *
 * It checks the request as the API would, plays the role named by the
 * `x-pressroom-agent` header (roles.ts) with randomness seeded by the seed and
 * the request itself, bills usage with the prompt-cache simulation (cache.ts)
 * and token counting (tokens.ts), waits the profile's latency through the
 * injected `sleep`, and injects faults (faults.ts). Everything it returns is
 * labelled simulated: ids `msg_sim_…`, `toolu_sim_…`, `request-id: req_sim_…`.
 * @module
 */
import { PriceBook, type PricedModel } from "../models/price_book.ts";
import { type CacheTtl, type PrefixBlock, PromptCache } from "./cache.ts";
import { readConversation } from "./conversation.ts";
import {
  ConnectionResetError,
  errorResponse,
  type FaultPlan,
  faultResponse,
  hang,
  partialUsage,
  pickFault,
} from "./faults.ts";
import { PROFILES } from "./profiles.ts";
import { createRng, hashString } from "./rng.ts";
import { playRole, type RoleTurn } from "./roles.ts";
import { blockText, countTokens } from "./tokens.ts";

export interface SimulatorOptions {
  seed?: number;
  prices?: PriceBook;
  /** The clock for cache TTLs, in epoch ms. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Multiplies the profile's latency; 0 (the default) answers at once. */
  latencyScale?: number;
  faults?: FaultPlan;
}

export interface Simulator {
  /** Answers one request; rejects with ConnectionResetError where the connection would drop. */
  handle(request: Request): Promise<Response>;
  /** For the SDK's `fetch` option; the host is ignored. A reset rejects with a TypeError, as fetch does. */
  fetch: typeof fetch;
  /** The prompt cache, shared by every request to this simulator. */
  readonly cache: PromptCache;
  /** How many requests it has received. */
  readonly requests: number;
}

/** Tokens of the system prompt the API adds when a request offers tools (auto tool choice). */
export const TOOL_USE_SYSTEM_TOKENS = 346;
/** Input tokens one web search brings back per result. */
export const WEB_SEARCH_RESULT_TOKENS = 800;

// deno-lint-ignore no-explicit-any
type Json = any;

class RequestError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

const invalid = (message: string) => new RequestError(400, "invalid_request_error", message);

function contentBlocks(content: Json): Json[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** Checks the body as the API does; throws a RequestError naming the first problem. */
function validate(body: Json, prices: PriceBook): PricedModel {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw invalid("The request body must be a JSON object.");
  }
  if (typeof body.model !== "string" || !body.model) throw invalid("model: Field required");
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    throw invalid("max_tokens: Field required (a positive integer)");
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw invalid("messages: Field required (at least one message)");
  }
  for (const removed of ["temperature", "top_p", "top_k"]) {
    if (removed in body) throw invalid(`${removed}: Extra inputs are not permitted in this API version`);
  }
  if (body.stream) throw invalid("stream: the simulated model does not stream");
  body.messages.forEach((m: Json, i: number) => {
    if (!m || (m.role !== "user" && m.role !== "assistant")) {
      throw invalid(`messages.${i}.role: must be user or assistant`);
    }
    if (typeof m.content !== "string" && !Array.isArray(m.content)) {
      throw invalid(`messages.${i}.content: Field required`);
    }
  });
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) {
    throw invalid("system: must be a string or a list of text blocks");
  }
  // Every tool_use is answered by a tool_result in the next message, and every tool_result answers one.
  body.messages.forEach((m: Json, i: number) => {
    if (m.role !== "assistant") return;
    const ids = contentBlocks(m.content).filter((b: Json) => b?.type === "tool_use").map((b: Json) => b.id);
    if (!ids.length) return;
    const next = body.messages[i + 1];
    const answered = new Set(
      next?.role === "user"
        ? contentBlocks(next.content).filter((b: Json) => b?.type === "tool_result")
          .map((b: Json) => b.tool_use_id)
        : [],
    );
    const missing = ids.filter((id: string) => !answered.has(id));
    if (missing.length && next) {
      throw invalid(
        `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${
          missing.join(", ")
        }`,
      );
    }
  });
  body.messages.forEach((m: Json, i: number) => {
    if (m.role !== "user") return;
    const before = i > 0 ? body.messages[i - 1] : undefined;
    const asked = new Set(
      before?.role === "assistant"
        ? contentBlocks(before.content).filter((b: Json) => b?.type === "tool_use").map((b: Json) => b.id)
        : [],
    );
    contentBlocks(m.content).forEach((b: Json, j: number) => {
      if (b?.type === "tool_result" && !asked.has(b.tool_use_id)) {
        throw invalid(
          `messages.${i}.content.${j}: unexpected tool_use_id found in tool_result blocks: ${b.tool_use_id}. ` +
            "Each tool_result block must have a corresponding tool_use block in the previous message.",
        );
      }
    });
  });
  const breakpoints = allBlocks(body).filter((b: Json) => b?.cache_control);
  if (breakpoints.length > 4) {
    throw invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${breakpoints.length}.`);
  }
  let seen5m = false;
  for (const b of breakpoints) {
    const ttl = b.cache_control.ttl ?? "5m";
    if (b.cache_control.type !== "ephemeral" || (ttl !== "5m" && ttl !== "1h")) {
      throw invalid("cache_control: type must be ephemeral and ttl 5m or 1h");
    }
    if (ttl === "5m") seen5m = true;
    else if (seen5m) {
      throw invalid("a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block");
    }
  }
  const priced = prices.lookup(body.model);
  if (!priced) throw new RequestError(404, "not_found_error", `model: ${body.model}`);
  const thinking = body.thinking?.type;
  if (thinking && thinking !== "disabled" && priced.thinking && !priced.thinking.includes(thinking)) {
    throw invalid(`thinking.type: "${thinking}" is not supported for ${body.model}`);
  }
  const effort = body.output_config?.effort;
  if (effort && priced.effort && !priced.effort.includes(effort)) {
    throw invalid(`output_config.effort: "${effort}" is not supported for ${body.model}`);
  }
  return priced;
}

/** The prompt's blocks in prefix order: tools, system, messages. */
function allBlocks(body: Json): Json[] {
  const system = typeof body.system === "string" ? [{ type: "text", text: body.system }] : body.system ?? [];
  return [...(body.tools ?? []), ...system, ...body.messages.flatMap((m: Json) => contentBlocks(m.content))];
}

/** The prompt as cache.ts sees it, with the API's tool-use system prompt in front when tools are offered. */
function prefixOf(body: Json, factor: number): PrefixBlock[] {
  const keyOf = (block: Json) => {
    if (!block || typeof block !== "object") return JSON.stringify(block);
    const { cache_control: _, ...rest } = block;
    return JSON.stringify(rest);
  };
  const ttlOf = (
    block: Json,
  ): CacheTtl | undefined => (block?.cache_control ? block.cache_control.ttl ?? "5m" : undefined);
  const toolCount = body.tools?.length ?? 0;
  const systemCount = typeof body.system === "string" ? 1 : body.system?.length ?? 0;
  const blocks: PrefixBlock[] = toolCount
    ? [{ key: "tool-use system prompt", tokens: TOOL_USE_SYSTEM_TOKENS }]
    : [];
  allBlocks(body).forEach((block, i) => {
    let key = keyOf(block);
    // Tool choice, thinking and effort are part of the messages' prefix: changing them misses from there on.
    if (i === toolCount + systemCount) {
      key = JSON.stringify([body.tool_choice ?? null, body.thinking ?? null, body.output_config ?? null]) +
        key;
    }
    blocks.push({ key, tokens: countTokens(blockText(block), factor), breakpoint: ttlOf(block) });
  });
  return blocks;
}

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const seed = options.seed ?? 1;
  const prices = options.prices ?? new PriceBook();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scale = options.latencyScale ?? 0;
  const cache = new PromptCache();
  const faultRng = createRng(hashString(`faults:${seed}`));
  let received = 0;

  async function handle(request: Request): Promise<Response> {
    const index = received++;
    const requestId = `req_sim_${index.toString(36).padStart(4, "0")}${
      hashString(`${seed}:${index}`).toString(36)
    }`;
    const fail = (status: number, type: string, message: string) =>
      errorResponse(status, type, message, requestId);
    const path = new URL(request.url).pathname.replace(/\/+$/, "");
    if (request.method !== "POST" || (path !== "/v1/messages" && path !== "/v1/messages/count_tokens")) {
      return fail(404, "not_found_error", `Not found: ${request.method} ${path}`);
    }
    if (!request.headers.get("x-api-key") && !request.headers.get("authorization")) {
      return fail(401, "authentication_error", "x-api-key header is required");
    }
    if (!request.headers.get("anthropic-version")) {
      return fail(400, "invalid_request_error", "anthropic-version: header is required");
    }
    let body: Json;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return fail(400, "invalid_request_error", "The request body is not valid JSON.");
    }
    const agent = request.headers.get("x-pressroom-agent");
    const workflow = request.headers.get("x-pressroom-workflow") ?? "";
    const attempt = Number(request.headers.get("x-stainless-retry-count") ?? 0);
    const fault = path === "/v1/messages"
      ? pickFault(options.faults, index, agent, faultRng, {
        workflowId: workflow || null,
        attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 0,
      })
      : undefined;
    if (fault?.kind === "timeout") return await hang(request.signal);
    // Dropped before the model saw the request: nothing was generated, cached or billed.
    if (fault?.kind === "connection_reset") throw new ConnectionResetError();
    const failed = fault && faultResponse(fault, requestId);
    if (failed) return failed;

    let priced: PricedModel;
    try {
      priced = validate(body, prices);
    } catch (error) {
      if (error instanceof RequestError) return fail(error.status, error.type, error.message);
      throw error;
    }
    const factor = priced.tokenizerFactor;
    const prefix = prefixOf(body, factor);
    if (path.endsWith("/count_tokens")) {
      return Response.json({ input_tokens: prefix.reduce((n, b) => n + b.tokens, 0) }, {
        headers: { "request-id": requestId, "x-simulated": "true" },
      });
    }

    const requestHash = hashString(JSON.stringify([seed, workflow, agent, body.model, body.messages]));
    const webSearchTool = (body.tools ?? []).find((t: Json) => t?.type === "web_search_20250305");
    const turn = playRole({
      agent,
      conversation: readConversation(body.messages),
      profile: PROFILES[priced.family ?? "sonnet"],
      rng: createRng(requestHash),
      maxTokens: body.max_tokens,
      tokenizerFactor: factor,
      webSearch: webSearchTool ? { maxUses: webSearchTool.max_uses ?? 5 } : undefined,
    });
    let { content, outputTokens } = render(turn, requestHash, factor);
    let stopReason = turn.calls.length ? "tool_use" : "end_turn";
    if (outputTokens > body.max_tokens) {
      // Cut off mid-answer, as the API does: whatever text fits, and no complete tool call.
      const text = String(turn.text ?? "").slice(0, Math.floor((body.max_tokens * 4) / factor));
      content = [{ type: "text", text, citations: null }];
      outputTokens = body.max_tokens;
      stopReason = "max_tokens";
    }
    const searches = content.filter((b: Json) => b.type === "server_tool_use").length;
    const cached = cache.apply(priced.canonicalId, prefix, now(), priced.minCacheTokens);
    const usage: Json = {
      ...cached,
      input_tokens: cached.input_tokens + searches * 3 * WEB_SEARCH_RESULT_TOKENS,
      output_tokens: outputTokens,
      server_tool_use: webSearchTool ? { web_search_requests: searches, web_fetch_requests: 0 } : null,
      service_tier: "standard",
    };
    const profile = PROFILES[priced.family ?? "sonnet"];
    const delay = (profile.latency.baseMs + profile.latency.perOutputTokenMs * outputTokens) * scale;
    if (delay > 0) await Promise.race([sleep(delay), hang(request.signal)]);

    const message: Json = {
      id: `msg_sim_${requestHash.toString(36)}${index.toString(36)}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    };
    const headers = { "content-type": "application/json", "request-id": requestId, "x-simulated": "true" };
    if (fault?.kind === "missing_usage") delete message.usage;
    if (fault?.kind === "partial_usage") message.usage = partialUsage(usage, fault);
    if (fault?.kind === "malformed_body") {
      return new Response(JSON.stringify(message).slice(0, 40), { status: 200, headers });
    }
    return new Response(JSON.stringify(message), { status: 200, headers });
  }

  return {
    handle,
    fetch: (input, init) =>
      handle(
        input instanceof Request && init === undefined ? input : new Request(input as string | URL, init),
      ),
    cache,
    get requests() {
      return received;
    },
  };
}

/** The turn as API content blocks, and the output tokens they cost. */
function render(
  turn: RoleTurn,
  requestHash: number,
  factor: number,
): { content: Json[]; outputTokens: number } {
  const id = (prefix: string, i: number) => `${prefix}_sim_${hashString(`${requestHash}:${i}`).toString(36)}`;
  const content: Json[] = [];
  if (turn.text) content.push({ type: "text", text: turn.text, citations: null });
  turn.searches.forEach((search, i) => {
    const searchId = id("srvtoolu", 100 + i);
    content.push({
      type: "server_tool_use",
      id: searchId,
      name: "web_search",
      input: { query: search.query },
    });
    content.push({
      type: "web_search_tool_result",
      tool_use_id: searchId,
      content: search.results.map((r) => ({
        type: "web_search_result",
        url: r.url,
        title: r.title,
        encrypted_content: "simulated",
        page_age: null,
      })),
    });
  });
  turn.calls.forEach((call, i) =>
    content.push({ type: "tool_use", id: id("toolu", i), name: call.name, input: call.input })
  );
  const outputTokens = content.filter((b) => b.type !== "web_search_tool_result")
    .reduce((n, b) => n + countTokens(blockText(b), factor), 0);
  return { content, outputTokens: Math.max(1, outputTokens) };
}
