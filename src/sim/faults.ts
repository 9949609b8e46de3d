/**
 * Fault injection for the simulated model: random rates and/or a script
 * `(requestIndex, agentId) => fault` for tests. The faults are those a client
 * of the Messages API meets: 429 rate_limit_error with retry-after, 529
 * overloaded_error, 500 api_error, a request that never answers (until its
 * signal aborts), a 200 whose body is not JSON, and a message without usage.
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
  | "missing_usage";

export const FAULT_KINDS: readonly FaultKind[] = [
  "rate_limit",
  "overloaded",
  "server_error",
  "timeout",
  "malformed_body",
  "missing_usage",
];

export interface Fault {
  kind: FaultKind;
  /** For rate_limit: how long the client should wait (default 1000 ms). */
  retryAfterMs?: number;
}

export interface FaultPlan {
  /** Chance per request of each fault, drawn from the simulator's seeded generator. */
  rates?: Partial<Record<FaultKind, number>>;
  /** Takes precedence over the rates; `requestIndex` counts every request the simulator received, from 0. */
  script?: (requestIndex: number, agentId: string | null) => Fault | FaultKind | undefined;
  /** retry-after for random rate limits, in ms (default 1000). */
  retryAfterMs?: number;
}

/** The fault for this request, if any. */
export function pickFault(
  plan: FaultPlan | undefined,
  requestIndex: number,
  agentId: string | null,
  rng: Rng,
): Fault | undefined {
  if (!plan) return undefined;
  const scripted = plan.script?.(requestIndex, agentId);
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
    case "rate_limit": {
      const ms = Math.max(0, Math.round(fault.retryAfterMs ?? 1000));
      return errorResponse(429, "rate_limit_error", "Simulated rate limit: slow down and retry.", requestId, {
        "retry-after": String(Math.ceil(ms / 1000)),
        "retry-after-ms": String(ms),
      });
    }
    case "overloaded":
      return errorResponse(529, "overloaded_error", "Simulated overload: the API is busy.", requestId);
    case "server_error":
      return errorResponse(500, "api_error", "Simulated internal server error.", requestId);
    default:
      return undefined;
  }
}

/** Waits until `signal` aborts, then rejects as fetch does: a request that never answers. */
export function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(signal.reason ?? new DOMException("The operation was aborted.", "AbortError"));
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
}
