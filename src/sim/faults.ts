/**
 * Fault injection for the simulated model: random rates and/or a script
 * `(requestIndex, agentId, { workflowId, attempt }) => fault` for tests. The faults are those a client
 * of the Messages API meets: 429 rate_limit_error with retry-after, 529
 * overloaded_error, 500 api_error, a request that never answers (until its
 * signal aborts), a 200 whose body is not JSON, a message without usage, a
 * message whose usage lacks some fields or has them null, and a connection
 * closed with no HTTP response at all (a reset, or a proxy that died).
 * Error bodies have the API's shape `{ type: "error", error: { type, message } }`.
 * @module
 */
import type { Rng } from "./rng.ts";

export type FaultKind =
  | "rate_limit"
  | "overloaded"
  | "server_error"
  | "timeout"
  | "malformed_body"
  | "missing_usage"
  | "partial_usage"
  | "connection_reset";

export const FAULT_KINDS: readonly FaultKind[] = [
  "rate_limit",
  "overloaded",
  "server_error",
  "timeout",
  "malformed_body",
  "missing_usage",
  // New kinds go last: the seeded draw walks this list, so earlier rates keep failing the same requests.
  "partial_usage",
  "connection_reset",
];

/** The fields of a response's `usage`, any of which the API may leave out or send as null. */
export type UsageField =
  | "input_tokens"
  | "output_tokens"
  | "cache_creation_input_tokens"
  | "cache_read_input_tokens"
  | "cache_creation"
  | "server_tool_use"
  | "service_tier";

/**
 * What partial_usage does unless the fault says otherwise: the optional fields an older API
 * version or a gateway leaves out, and a null count. Input and output counts stay.
 */
export const PARTIAL_USAGE_DEFAULT: { drop: UsageField[]; nullify: UsageField[] } = {
  drop: ["cache_creation", "server_tool_use", "service_tier"],
  nullify: ["cache_read_input_tokens"],
};

export interface Fault {
  kind: FaultKind;
  /**
   * For rate_limit: how long the client should wait (default 1000 ms). For overloaded and
   * server_error, sent only when given (the API sends it on some of them).
   */
  retryAfterMs?: number;
  /**
   * For partial_usage: the usage fields left out and those sent as null. Neither given:
   * PARTIAL_USAGE_DEFAULT; one given: the other is empty.
   */
  drop?: UsageField[];
  nullify?: UsageField[];
}

/**
 * What the simulator throws for connection_reset: fetch's own failure (a TypeError), so that
 * in process the SDK's `fetch` option rejects as on a dead connection; the loopback server
 * turns it into a socket closed with no response (server.ts).
 */
export class ConnectionResetError extends TypeError {
  constructor() {
    super("error sending request: connection closed before message completed (simulated reset)");
  }
}

export interface FaultPlan {
  /** Chance per request of each fault, drawn from the simulator's seeded generator. */
  rates?: Partial<Record<FaultKind, number>>;
  /**
   * Takes precedence over the rates; `requestIndex` counts every request the simulator received,
   * from 0. A reset on a reused keep-alive connection is resent once by Deno's fetch itself, unseen
   * by the SDK: to fail an SDK attempt for sure, script by agent, workflow and attempt, not by index.
   */
  script?: (
    requestIndex: number,
    agentId: string | null,
    request: FaultRequest,
  ) => Fault | FaultKind | undefined;
  /** retry-after for random rate limits, in ms (default 1000). */
  retryAfterMs?: number;
}

/** What a script may know of a request besides its index and agent. */
export interface FaultRequest {
  /** The x-pressroom-workflow header. */
  workflowId: string | null;
  /** The SDK's retry number for this call (its x-stainless-retry-count header): 0 on a first attempt. */
  attempt: number;
}

/** The fault for this request, if any. */
export function pickFault(
  plan: FaultPlan | undefined,
  requestIndex: number,
  agentId: string | null,
  rng: Rng,
  request: FaultRequest = { workflowId: null, attempt: 0 },
): Fault | undefined {
  if (!plan) return undefined;
  const scripted = plan.script?.(requestIndex, agentId, request);
  if (scripted) return typeof scripted === "string" ? { kind: scripted } : scripted;
  const u = rng.next();
  let edge = 0;
  for (const kind of FAULT_KINDS) {
    edge += plan.rates?.[kind] ?? 0;
    if (u < edge) return kind === "rate_limit" ? { kind, retryAfterMs: plan.retryAfterMs } : { kind };
  }
  return undefined;
}

/** An error response in the API's shape. */
export function errorResponse(
  status: number,
  type: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ type: "error", error: { type, message }, request_id: requestId }, {
    status,
    headers: { "request-id": requestId, "x-simulated": "true", ...headers },
  });
}

/** The response for a fault that fails the request outright; undefined for those that shape a reply. */
export function faultResponse(fault: Fault, requestId: string): Response | undefined {
  switch (fault.kind) {
    case "rate_limit":
      return errorResponse(
        429,
        "rate_limit_error",
        "Simulated rate limit: slow down and retry.",
        requestId,
        retryAfter({ ...fault, retryAfterMs: fault.retryAfterMs ?? 1000 }),
      );
    case "overloaded":
      return errorResponse(
        529,
        "overloaded_error",
        "Simulated overload: the API is busy.",
        requestId,
        retryAfter(fault),
      );
    case "server_error":
      return errorResponse(
        500,
        "api_error",
        "Simulated internal server error.",
        requestId,
        retryAfter(fault),
      );
    default:
      return undefined;
  }
}

function retryAfter(fault: Fault): Record<string, string> {
  if (fault.retryAfterMs === undefined) return {};
  const ms = Math.max(0, Math.round(fault.retryAfterMs));
  return { "retry-after": String(Math.ceil(ms / 1000)), "retry-after-ms": String(ms) };
}

/** The usage of a partial_usage fault: some fields left out, some null, the rest as billed. */
export function partialUsage(usage: Record<string, unknown>, fault: Fault): Record<string, unknown> {
  const out = { ...usage };
  for (const field of fault.drop ?? (fault.nullify ? [] : PARTIAL_USAGE_DEFAULT.drop)) delete out[field];
  for (const field of fault.nullify ?? (fault.drop ? [] : PARTIAL_USAGE_DEFAULT.nullify)) out[field] = null;
  return out;
}

/** Waits until `signal` aborts, then rejects as fetch does: a request that never answers. */
export function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(signal.reason ?? new DOMException("The operation was aborted.", "AbortError"));
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
}
