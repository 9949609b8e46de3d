/**
 * The simulated model: a backend that speaks the Anthropic Messages API
 * (POST /v1/messages, the same request and response JSON) so that the whole
 * pipeline runs offline with the real SDK, in process through the SDK's `fetch`
 * option or behind the loopback server (server.ts).
 *
 * It refuses what the API refuses (validate.ts), plays the role named by the
 * `x-pressroom-agent` header (roles.ts) with randomness seeded by the seed and
 * the request itself, shapes the reply as the API would (reply.ts: the live
 * API's quirks from quirks.ts, the max_tokens cut, a paused turn continued),
 * bills usage with the prompt-cache simulation (cache.ts) and token counting
 * (tokens.ts), waits the profile's latency through the injected `sleep`, and
 * injects faults (faults.ts). Everything it returns is labelled simulated: ids
 * `msg_sim_…`, `toolu_sim_…`, `request-id: req_sim_…`.
 * @module
 */
import { PriceBook, type PricedModel } from "../models/price_book.ts";
import { type PrefixBlock, PromptCache } from "./cache.ts";
import { CacheDiagnostics } from "./cache_diagnostics.ts";
import type { CacheTtl } from "../pricing/cost.ts";
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
import { PROFILES, simTokenizer, type Tokenizer } from "./profiles.ts";
import { type BatchPlan, SimBatches } from "./batches.ts";
import { drawQuirks, type QuirkOption } from "./quirks.ts";
import { renderTurn, thinkingBlock } from "./render.ts";
import { type Continuation, shapeReply } from "./reply.ts";
import { createRng, hashString } from "./rng.ts";
import { messageEvents } from "./event_stream.ts";
import { strictToolSchemas } from "./strict_decoding.ts";
import { playRole } from "./roles.ts";
import { blockText } from "./tokens.ts";
import { countTokens } from "../pricing/tokens.ts";
import { allBlocks, contentBlocks, endsPaused, takesInferenceGeo, validateRequest } from "./validate.ts";

export interface SimulatorOptions {
  seed?: number;
  prices?: PriceBook;
  /** The clock for cache TTLs, in epoch ms. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Multiplies the profile's latency; 0 (the default) answers at once. */
  latencyScale?: number;
  faults?: FaultPlan;
  /** The live API's quirks (quirks.ts): on at the profile's rates unless `false`; rates and a script. */
  quirks?: QuirkOption;
  /** How Message Batches behave (batches.ts): processing time, errors, cache hits. */
  batches?: BatchPlan;
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
/** Input tokens each simulated search result brings back (three results a search). */
export const SIM_TOKENS_PER_SEARCH_RESULT = 800;

// deno-lint-ignore no-explicit-any
type Json = any;

/** The prompt as cache.ts sees it, with the API's tool-use system prompt in front when tools are offered. */
function prefixOf(body: Json, tokenizer: Tokenizer): PrefixBlock[] {
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
    const factor = i < toolCount ? tokenizer.tools : tokenizer.prose;
    blocks.push({ key, tokens: countTokens(blockText(block), factor), breakpoint: ttlOf(block) });
  });
  return blocks;
}

/** The system prompt's text, a string or text blocks. */
function systemText(system: Json): string {
  if (typeof system === "string") return system;
  return Array.isArray(system)
    ? system.map((b: Json) => (b?.type === "text" ? String(b.text ?? "") : "")).join("\n")
    : "";
}

/** The last message's server tool call still waiting for its result, when the request continues a paused turn. */
function pausedCall(messages: Json[]): Continuation | undefined {
  if (!endsPaused(messages)) return undefined;
  const blocks = contentBlocks(messages.at(-1).content);
  const answered = new Set(blocks.map((b) => b?.tool_use_id).filter(Boolean));
  const call = blocks.findLast((b) => b?.type === "server_tool_use" && !answered.has(b.id));
  return { pendingId: String(call.id), query: String(call.input?.query ?? "") };
}

/** The model's output never depends on where the client put its cache breakpoints. */
const withoutCacheControl = (value: unknown) =>
  JSON.stringify(value, (key, v) => (key === "cache_control" ? undefined : v));

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const seed = options.seed ?? 1;
  const prices = options.prices ?? new PriceBook();
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const scale = options.latencyScale ?? 0;
  const cache = new PromptCache();
  const diagnostics = new CacheDiagnostics();
  const faultRng = createRng(hashString(`faults:${seed}`));
  /** How often each request (without its max_tokens) was seen: a request sent again is sampled again. */
  const seen = new Map<string, number>();
  let received = 0;

  /** `batch`: one request inside a Message Batch (batches.ts), answered when its batch ends. */
  async function handle(request: Request, batch?: { readCache: boolean }): Promise<Response> {
    const index = received++;
    const requestId = `req_sim_${index.toString(36).padStart(4, "0")}${
      hashString(`${seed}:${index}`).toString(36)
    }`;
    const fail = (status: number, type: string, message: string) =>
      errorResponse(status, type, message, requestId);
    const path = new URL(request.url).pathname.replace(/\/+$/, "");
    const batchPath = path === "/v1/messages/batches" || path.startsWith("/v1/messages/batches/");
    if (
      !batchPath &&
      (request.method !== "POST" || (path !== "/v1/messages" && path !== "/v1/messages/count_tokens"))
    ) {
      return fail(404, "not_found_error", `Not found: ${request.method} ${path}`);
    }
    if (!request.headers.get("x-api-key") && !request.headers.get("authorization")) {
      return fail(401, "authentication_error", "x-api-key header is required");
    }
    if (!request.headers.get("anthropic-version")) {
      return fail(400, "invalid_request_error", "anthropic-version: header is required");
    }
    if (batchPath) return await batches.handle(request, path);
    let body: Json;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return fail(400, "invalid_request_error", "The request body is not valid JSON.");
    }
    const agent = request.headers.get("x-pressroom-agent");
    const workflow = request.headers.get("x-pressroom-workflow") ?? "";
    const retry = Number(request.headers.get("x-stainless-retry-count") ?? 0);
    const scriptRequest = {
      workflowId: workflow || null,
      attempt: Number.isInteger(retry) && retry > 0 ? retry : 0,
    };
    const fault = path === "/v1/messages" && !batch
      ? pickFault(options.faults, index, agent, faultRng, scriptRequest)
      : undefined;
    if (fault?.kind === "timeout") return await hang(request.signal);
    // Dropped before the model saw the request: nothing was generated, cached or billed.
    if (fault?.kind === "connection_reset") throw new ConnectionResetError();
    const failed = fault && faultResponse(fault, requestId);
    if (failed) return failed;

    const refused = validateRequest(body, {
      lookup: (model) => prices.lookup(model),
      requireKnownModel: true,
    });
    if (refused) return fail(refused.status, refused.type, refused.message);
    // Not the API's rule but the simulator's limit: it answers whole messages only.
    const priced = prices.lookup(body.model) as PricedModel;
    const tokenizer = simTokenizer(priced);
    const factor = tokenizer.prose;
    const prefix = prefixOf(body, tokenizer);
    if (path.endsWith("/count_tokens")) {
      return Response.json({ input_tokens: prefix.reduce((n, b) => n + b.tokens, 0) }, {
        headers: { "request-id": requestId, "x-simulated": "true" },
      });
    }

    const profile = PROFILES[priced.family ?? "sonnet"];
    const continuation = pausedCall(body.messages);
    // A continued turn is the turn that paused: played from the messages before the paused one.
    const messages = continuation ? body.messages.slice(0, -1) : body.messages;
    const requestHash = hashString(withoutCacheControl([seed, workflow, agent, body.model, messages]));
    const occurrence = seen.get(`${requestHash}:${!!continuation}`) ?? 0;
    seen.set(`${requestHash}:${!!continuation}`, occurrence + 1);
    const fresh = createRng(hashString(`quirks:${requestHash}:${!!continuation}:${occurrence}`));
    const webSearchTool = (body.tools ?? []).find((t: Json) =>
      typeof t?.type === "string" && t.type.startsWith("web_search_")
    );
    const lastBlocks = contentBlocks(body.messages.at(-1).content);
    const quirks = drawQuirks({
      option: options.quirks,
      profileRates: profile.quirks,
      requestIndex: index,
      agentId: agent,
      request: scriptRequest,
      situation: {
        afterToolResults: body.messages.at(-1).role === "user" &&
          lastBlocks.some((b) => b?.type === "tool_result"),
        webSearch: !!webSearchTool,
        reportsGeo: takesInferenceGeo(priced),
        continuation: !!continuation,
      },
      stable: createRng(hashString(`long:${requestHash}`)),
      fresh,
    });
    const turn = playRole({
      agent,
      conversation: readConversation(messages, systemText(body.system)),
      profile,
      rng: createRng(requestHash),
      // A turn that pauses, or continues after a pause, is one that searched.
      webSearch: webSearchTool
        ? { maxUses: webSearchTool.max_uses ?? 5, force: !!continuation || quirks.stop === "pause_turn" }
        : undefined,
      long: quirks.long,
      strictTools: strictToolSchemas(body.tools),
    });
    const thinking = thinkingBlock(body.thinking, turn, requestHash, factor);
    const reply = shapeReply({
      turn: renderTurn(turn, requestHash, thinking),
      continuation,
      stop: quirks.stop,
      maxTokens: body.max_tokens,
      factor,
      rng: fresh,
    });
    const { content } = reply;
    const searches = content.filter((b: Json) => b.type === "web_search_tool_result").length;
    const cached = cache.apply(priced.canonicalId, prefix, now(), priced.minCacheTokens, {
      read: batch?.readCache ?? true,
    });
    const thought = content.find((b: Json) => b.type === "thinking");
    const usage: Json = {
      ...cached,
      input_tokens: cached.input_tokens + searches * 3 * SIM_TOKENS_PER_SEARCH_RESULT,
      output_tokens: reply.outputTokens,
      output_tokens_details: thought ? { thinking_tokens: countTokens(thought.thinking, factor) } : null,
      server_tool_use: webSearchTool ? { web_search_requests: searches, web_fetch_requests: 0 } : null,
      service_tier: batch ? "batch" : "standard",
      inference_geo: inferenceGeo(body, quirks.usInference, takesInferenceGeo(priced)),
    };
    const delay = (profile.latency.baseMs + profile.latency.perOutputTokenMs * reply.outputTokens) * scale;
    // Inside a batch the batch's own processing time stands for the model's.
    if (delay > 0 && !batch) await Promise.race([sleep(delay), hang(request.signal)]);

    const id = `msg_sim_${requestHash.toString(36)}${index.toString(36)}`;
    const toolCount = body.tools?.length ?? 0;
    const message: Json = {
      id,
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: reply.stopReason,
      stop_sequence: null,
      stop_details: reply.stopDetails,
      usage,
      // Only a request that asks for diagnostics leaves a fingerprint or gets an answer (null: no divergence).
      diagnostics: body.diagnostics
        ? diagnostics.diagnose(body.diagnostics.previous_message_id, {
          model: priced.canonicalId,
          blocks: prefix,
          toolBlocks: toolCount ? toolCount + 1 : 0,
          systemBlocks: typeof body.system === "string" ? 1 : body.system?.length ?? 0,
        }, id)
        : null,
    };
    const headers = { "content-type": "application/json", "request-id": requestId, "x-simulated": "true" };
    if (fault?.kind === "missing_usage") delete message.usage;
    if (fault?.kind === "partial_usage") message.usage = partialUsage(usage, fault);
    if (body.stream === true) {
      // A malformed body, streamed: the connection ends after the first event, with the message unfinished.
      const events = messageEvents(message, fault?.kind === "malformed_body" ? 1 : undefined);
      return new Response(events, {
        status: 200,
        headers: { ...headers, "content-type": "text/event-stream" },
      });
    }
    if (fault?.kind === "malformed_body") {
      return new Response(JSON.stringify(message).slice(0, 40), { status: 200, headers });
    }
    return new Response(JSON.stringify(message), { status: 200, headers });
  }

  const batches = new SimBatches(options.batches ?? {}, now, (body, meta) =>
    handle(
      new Request("http://sim.invalid/v1/messages", {
        method: "POST",
        headers: {
          "x-api-key": "batch",
          "anthropic-version": "2023-06-01",
          "x-pressroom-agent": meta.agent,
          "x-pressroom-workflow": meta.workflow,
        },
        body: JSON.stringify(body),
      }),
      { readCache: meta.readCache },
    ), seed);

  return {
    handle: (request) => handle(request),
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

/**
 * Where inference ran: what the request asked for, else "global", or "us" as for a workspace that
 * defaults to US-only inference (the us_inference quirk). Models before Claude 4.6 report null.
 */
function inferenceGeo(body: Json, usInference: boolean, reportsGeo: boolean): string | null {
  if (!reportsGeo) return null;
  if (body.inference_geo === "us" || body.inference_geo === "global") return body.inference_geo;
  return usInference ? "us" : "global";
}
