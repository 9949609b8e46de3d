/**
 * callClaude(): the one chokepoint for model traffic. It prices the model
 * (refusing unknown ones), reserves the worst case under every cap (or throws
 * CostCapError with nothing sent), sends the request with the SDK, and replaces
 * the reservation by exactly one ledger row, whatever happens to the request.
 * An attempt that failed with no answer is booked at $0 only when its error proves
 * the request never reached the API (billing.ts); any other may have been billed and
 * is booked at the worst case, and a retry after it first reserves one more worst
 * case, so a row never books more than the caps let it hold. A response that reports
 * more usage than its reservation allowed is booked as reported, and the row says so.
 * @module
 */
import Anthropic, { type Middleware } from "@anthropic-ai/sdk";
import { type CallUsage, costNano, normalizeUsage, scaleUp } from "../pricing/cost.ts";
import type { Backend, Ledger, Reservation, ReserveRequest } from "../ledger/ledger.ts";
import type { PriceBook, PricedModel } from "../models/price_book.ts";
import { CostCapError, LedgerUnreachableError } from "../errors.ts";
import { redact } from "../output/workflow_files.ts";
import { breakpointTtls, buildRequest, prefixBlocks, type PromptSpec } from "./request.ts";
import { formatTtls, longestTtl } from "../pricing/cache_ttl.ts";
import type { CacheOutcome, ToolCallRecord } from "../ledger/ledger.ts";
import { type KnownPrefix, worstCaseNano } from "./estimate.ts";
import {
  classifyFailedAttempt,
  type FailedAttempt,
  failedAttemptsNote,
  overReservationNote,
  unansweredCost,
} from "./billing.ts";

type Params = Anthropic.MessageCreateParamsNonStreaming;

/** A response and its request id, as `send` got them. */
interface Sent {
  message: Anthropic.Message;
  requestId: string | null;
}

/** The API answered with something the SDK could not read (a body that is not JSON, say). */
export class BadResponseError extends Error {
  override name = "BadResponseError";
}

/** How many tool calls a response made and how many of them succeeded. */
export interface ToolTally {
  made: number;
  succeeded: number;
  /** The tool calls one by one, for the ledger (none when they were not judged). */
  tools?: ToolCallRecord[];
}

export interface ClaudeDeps {
  ledger: Ledger;
  prices: PriceBook;
  client: Anthropic;
  backend: Backend;
  /** A monotonic clock in ms for latency; injected so tests need not sleep. */
  monotonic?: () => number;
}

export interface ClaudeCall extends PromptSpec {
  agentId: string;
  workflowId: string;
  turn?: number;
  signal?: AbortSignal;
  /** The previous request of this loop, whose blocks this one repeats: `ClaudeResult.prompt`. */
  knownPrefix?: KnownPrefix;
  /**
   * Classifies the response's tool calls (and may apply them) before its row is
   * written, so the row carries this response's tool outcomes.
   */
  judgeToolCalls?: (message: Anthropic.Message, callId: string) => ToolTally | Promise<ToolTally>;
  /**
   * Writes what the response changed (the workflow's state) in the transaction that writes its ledger
   * row and tool calls, so that a crash keeps both or neither. Runs only for a response that came back.
   */
  persist?: (callId: string) => void;
  /** Sees every exchange once its row is written: for the transcript. */
  record?: (exchange: Exchange) => void;
}

/** One request and what came back, as the transcript keeps it (no key: requests never carry it). */
export interface Exchange {
  callId: string;
  agentId: string;
  turn?: number;
  request: Anthropic.MessageCreateParamsNonStreaming;
  response?: Anthropic.Message;
  error?: string;
  costNano: number;
}

export interface ClaudeResult {
  message: Anthropic.Message;
  /** The ledger row's id. */
  callId: string;
  costNano: number;
  requestId: string | null;
  usage: CallUsage;
  /** This request's blocks and the tokens the API counted for them, for the next turn's estimate. */
  prompt?: KnownPrefix;
}

export async function callClaude(deps: ClaudeDeps, call: ClaudeCall): Promise<ClaudeResult> {
  const priced = deps.prices.require(call.model, `agent ${call.agentId}`);
  const params = buildRequest(call);
  const reservation = await deps.ledger.reserveCall(reserveRequest(deps, call, params, priced));
  const clock = deps.monotonic ?? (() => performance.now());
  const started = clock();
  const attempts = new Attempts(deps.ledger, reservation);
  const booking = (): Booking => ({
    params,
    reservation,
    attempts,
    latencyMs: Math.round(clock() - started),
  });
  let sent: Sent;
  try {
    sent = await send(deps.client, params, {
      headers: { "x-pressroom-agent": call.agentId, "x-pressroom-workflow": call.workflowId },
      signal: call.signal,
      middleware: [attempts.middleware],
    });
  } catch (error) {
    throw await bookFailure(deps, call, booking(), error);
  }
  return await bookAnswer(deps, call, { ...booking(), priced }, sent);
}

/** A turn recorded for a Message Batch: its request as it will be sent, and its reservation. */
export interface BatchedCall {
  params: Params;
  reservation: Reservation;
}

/**
 * Reserves a call that goes into a Message Batch, at its worst case at batch prices, and records it with
 * `record` in the reservation's transaction, before any batch is created (claude/batches.ts sends it).
 */
export async function reserveBatched(
  deps: ClaudeDeps,
  call: ClaudeCall,
  record: (params: Params, reservation: Reservation) => void,
): Promise<BatchedCall> {
  const priced = deps.prices.require(call.model, `agent ${call.agentId}`);
  const params = buildRequest(call);
  const request = reserveRequest(deps, call, params, priced, { batch: true });
  const reservation = await deps.ledger.reserveCall(request, (r) => record(params, r));
  return { params, reservation };
}

/**
 * Books a batch request's answer as callClaude books a synchronous one (its usage says `service_tier`
 * "batch", which prices it at batch rates), with its tool calls and what `persist` writes.
 */
export async function bookBatched(
  deps: ClaudeDeps,
  call: ClaudeCall,
  { params, reservation }: BatchedCall,
  message: Anthropic.Message,
): Promise<ClaudeResult> {
  const priced = deps.prices.require(call.model, `agent ${call.agentId}`);
  const attempts = new Attempts(deps.ledger, reservation);
  attempts.count = 1;
  return await bookAnswer(deps, call, { params, reservation, attempts, latencyMs: 0, priced }, {
    message,
    requestId: null,
  });
}

/** A batch request that was not billed (canceled, expired, errored): a $0 row that says why. */
export async function releaseBatched(
  deps: ClaudeDeps,
  reservation: Reservation,
  why: string,
  alsoWrite?: () => void,
): Promise<void> {
  const outcome = {
    status: "api_error" as const,
    costNano: 0,
    attempts: 1,
    error: why.slice(0, 500),
    batch: true,
  };
  await deps.ledger.settleCall(reservation, outcome, alsoWrite);
}

/** What the call reserves under every cap: its worst case, and the output part of it. */
function reserveRequest(
  deps: ClaudeDeps,
  call: ClaudeCall,
  params: Params,
  priced: PricedModel,
  { batch = false } = {},
): ReserveRequest {
  const kept = batch ? 100 - priced.batchDiscountPercent : 100;
  return {
    agentId: call.agentId,
    workflowId: call.workflowId,
    model: call.model,
    turn: call.turn,
    backend: deps.backend,
    worstCaseNano: worstCaseNano(params, priced, call.knownPrefix, { batch }),
    batch,
    // The output part as the worst case reserved it: with the data-residency premium where it may apply.
    output: {
      maxTokens: params.max_tokens,
      nanoPerToken: scaleUp(priced.rates.output, priced.dataResidencyPercent * kept, 100 * 100),
    },
  };
}

/** The HTTP attempts of one call, seen by SDK middleware: how many, and which may have been billed. */
class Attempts {
  count = 0;
  /** Attempts that ended in an error instead of a response, each with why it is booked as it is. */
  readonly failed: FailedAttempt[] = [];
  /** Those of them that may have been billed (all but the ones that never reached the API). */
  unanswered = 0;
  /** Whether the latest attempt came back 2xx: billed, even if its body then cannot be read. */
  answered = false;

  constructor(readonly ledger: Ledger, readonly reservation: Reservation) {}

  readonly middleware: Middleware = async (request, next) => {
    // The reservation covers one billed attempt. An unanswered one may have been billed too (a
    // timeout, a reset after the request was written), so a retry after it first holds one more
    // worst case under the caps, or is refused (CostCapError). One that never reached the API
    // (refused, DNS, TLS) needs nothing more.
    const short = this.reservation.worstCaseNano * (this.unanswered + 1) - this.reservation.reservedNano;
    if (short > 0) await this.ledger.extendCall(this.reservation, short);
    this.count++;
    this.answered = false;
    try {
      const response = await next(request);
      this.answered = response.ok;
      return response;
    } catch (error) {
      const attempt = classifyFailedAttempt(error);
      this.failed.push(attempt);
      if (attempt.mayBeBilled) this.unanswered++;
      throw error;
    }
  };
}

/** What a sent call leaves to book: its request, reservation, attempts and how long it took. */
interface Booking {
  params: Params;
  reservation: Reservation;
  attempts: Attempts;
  latencyMs: number;
}

/**
 * Books a call that got no readable answer as an `api_error` row and records the exchange; returns the
 * error to throw (the API's or the cap's as they are, anything else as a BadResponseError).
 */
async function bookFailure(
  deps: ClaudeDeps,
  call: ClaudeCall,
  booking: Booking,
  error: unknown,
): Promise<Error> {
  const { reservation, attempts } = booking;
  // A 2xx whose body could not be read was billed all the same: booked at its worst case, like
  // each attempt that may have been billed with no answer. Never more than the reservation holds.
  const cost = unansweredCost(attempts.unanswered + (attempts.answered ? 1 : 0), reservation.worstCaseNano);
  const described = redact(
    [
      describeError(error),
      failedAttemptsNote(attempts.failed),
      attempts.answered
        ? "the API answered 2xx but the body could not be read: booked at its worst case"
        : "",
    ].filter(Boolean).join("; "),
    // The key never reaches the ledger, even if an error message were to quote it.
    deps.client.apiKey ? [deps.client.apiKey] : [],
  );
  await deps.ledger.settleCall(reservation, {
    status: "api_error",
    costNano: cost,
    latencyMs: booking.latencyMs,
    attempts: attempts.count,
    requestId: error instanceof Anthropic.APIError ? error.requestID ?? null : null,
    error: described,
    cache: cacheOutcome(call),
  });
  call.record?.({ ...exchangeOf(call, booking), error: described, costNano: cost });
  if (
    error instanceof Anthropic.APIError || error instanceof CostCapError ||
    error instanceof LedgerUnreachableError
  ) return error;
  return new BadResponseError(described, { cause: error });
}

/**
 * Books an answered call: its cost as the usage reports it (the worst case when it reports none), its
 * tool calls as `judgeToolCalls` classifies them, and what `persist` writes, in one ledger transaction.
 */
async function bookAnswer(
  deps: ClaudeDeps,
  call: ClaudeCall,
  booking: Booking & { priced: PricedModel },
  { message, requestId }: Sent,
): Promise<ClaudeResult> {
  const { params, reservation, attempts } = booking;
  // A response without its input and output counts was billed for something we cannot see: book the
  // worst case, never zero. The optional fields (cache, server tools) are priced as far as they go.
  const unreported = unreportedCounts(message.usage);
  const hasUsage = unreported.length === 0;
  const usage = normalizeUsage(message.usage ?? {}, longestTtl(breakpointTtls(call)));
  const answerCost = hasUsage ? costNano(usage, booking.priced) : reservation.worstCaseNano;
  const cost = answerCost + unansweredCost(attempts.unanswered, reservation.worstCaseNano);
  // Booked as reported even above the worst case (never less than billed), and said so: such a row
  // can pass a cap, which `pressroom doctor` counts (ledger/anomalies.ts).
  const over = overReservationNote(
    answerCost,
    reservation.worstCaseNano,
    usage.outputTokens,
    params.max_tokens,
  );
  const toolUses = message.content?.filter((b) => b.type === "tool_use").length ?? 0;
  let tally: ToolTally = { made: toolUses, succeeded: 0 };
  let judgeError: unknown;
  try {
    if (call.judgeToolCalls) tally = await call.judgeToolCalls(message, reservation.id);
  } catch (error) {
    judgeError = error;
  }
  await deps.ledger.settleCall(reservation, {
    status: "ok",
    usage,
    costNano: cost,
    stopReason: message.stop_reason ?? null,
    requestId,
    latencyMs: booking.latencyMs,
    attempts: attempts.count,
    toolCallsMade: tally.made,
    toolCallsSucceeded: tally.succeeded,
    tools: tally.tools,
    cache: cacheOutcome(call, message),
    error: [
      hasUsage ? "" : unreportedNote(message.usage, unreported),
      over ?? "",
      failedAttemptsNote(attempts.failed),
    ].filter(Boolean).join("; ") || undefined,
  }, call.persist && (() => call.persist!(reservation.id)));
  call.record?.({ ...exchangeOf(call, booking), response: message, costNano: cost });
  if (judgeError) throw judgeError;
  const prompt = hasUsage ? knownPrefix(params, usage) : undefined;
  return { message, callId: reservation.id, costNano: cost, requestId, usage, prompt };
}

/** The request's TTLs, and the response's id and cache diagnostics, for its ledger row. */
function cacheOutcome(call: ClaudeCall, message?: Anthropic.Message): CacheOutcome {
  const reason = message?.diagnostics?.cache_miss_reason;
  return {
    ttls: formatTtls(breakpointTtls(call)),
    messageId: typeof message?.id === "string" ? message.id : null,
    missReason: typeof reason?.type === "string" ? reason.type : null,
    missedTokens: reason && "cache_missed_input_tokens" in reason &&
        typeof reason.cache_missed_input_tokens === "number"
      ? Math.max(0, Math.round(reason.cache_missed_input_tokens))
      : null,
  };
}

/** The parts of the transcript's exchange that every outcome has. */
function exchangeOf(call: ClaudeCall, booking: Booking): Omit<Exchange, "costNano"> {
  return { callId: booking.reservation.id, agentId: call.agentId, turn: call.turn, request: booking.params };
}

/** The row's note on a response whose usage lacks the counts every billed response carries. */
function unreportedNote(usage: Anthropic.Usage | null | undefined, unreported: string[]): string {
  const missing = usage ? `response's usage had no ${unreported.join(" or ")}` : "response had no usage";
  return `${missing}: booked at the reserved worst case`;
}

/** This request's blocks and the tokens the API counted for them, for the next turn's estimate. */
function knownPrefix(params: Params, usage: CallUsage): KnownPrefix {
  return {
    blocks: prefixBlocks(params).length,
    tokens: usage.inputTokens + usage.cacheReadTokens + usage.cacheWrite5mTokens + usage.cacheWrite1hTokens,
  };
}

/**
 * The largest `max_tokens` sent without streaming: the SDK allows a non-streaming request an hour per
 * 128,000 tokens and refuses (unless given a timeout, as Pressroom is) one that could outlast its 10
 * minutes. Above it, a request that runs long would be cut by the timeout, retried, and each attempt
 * booked at its worst case.
 */
export const STREAM_ABOVE_MAX_TOKENS = Math.floor((10 * 128_000) / 60);

/**
 * Sends the request. One whose `max_tokens` could outlast a non-streaming request is streamed, and its
 * events assembled by the SDK into the same message; the same middleware sees the HTTP attempts, and a
 * stream cut after a 2xx is an answered attempt that could not be read.
 */
async function send(client: Anthropic, params: Params, options: Anthropic.RequestOptions): Promise<Sent> {
  if (params.max_tokens > STREAM_ABOVE_MAX_TOKENS) {
    const stream = client.messages.stream(params, options);
    const message = await stream.finalMessage();
    return { message, requestId: stream.request_id ?? null };
  }
  const response = await client.messages.create(params, options).withResponse();
  return { message: response.data, requestId: response.request_id ?? null };
}

/** The counts that every billed response carries and that are missing (or not counts) in this one. */
function unreportedCounts(usage: Anthropic.Usage | null | undefined): string[] {
  const fields = ["input_tokens", "output_tokens"] as const;
  return fields.filter((f) => {
    const n: unknown = usage?.[f];
    return typeof n !== "number" || !Number.isFinite(n) || n < 0;
  });
}

function describeError(error: unknown): string {
  if (error instanceof Anthropic.APIError) {
    const type = (error.error as { error?: { type?: string } } | undefined)?.error?.type;
    const head = [error.constructor.name, error.status, type].filter((p) => p !== undefined && p !== null)
      .join(" ");
    // A connection error's own message is only "Connection error.": what happened is in its causes.
    return `${head}: ${error.message}${error.status === undefined ? causes(error) : ""}`.slice(0, 500);
  }
  return error instanceof Error
    ? `${error.name}: ${error.message}`.slice(0, 500)
    : String(error).slice(0, 500);
}

/** The messages of an error's causes, innermost last: " (fetch failed: connection closed …)". */
function causes(error: Error): string {
  const messages: string[] = [];
  for (let c = error.cause; c instanceof Error && messages.length < 4; c = c.cause) messages.push(c.message);
  return messages.length ? ` (${messages.join(": ")})` : "";
}
