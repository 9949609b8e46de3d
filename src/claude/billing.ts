/**
 * What a call that went wrong may have cost. Pure.
 *
 * An HTTP attempt that failed with no answer is free only when its error proves that nothing
 * reached the API: the connection was never made (refused, DNS, TLS handshake: the
 * "client error (Connect)" stage of Deno's fetch, which ends before a byte of the request is
 * written), or Deno refused the request itself (a permission, a blocked port). Any other failure
 * (the SDK's timeout, an abort, a connection reset or closed after the request was written, an
 * error we do not recognise) may have been processed and billed without its answer reaching
 * us: it is booked at the call's worst case, so that recorded spend is never below what was billed.
 *
 * A response that reports more usage than its reservation allowed (more output than
 * `max_tokens`: the real API never does, a broken proxy might) is booked as reported, never
 * less, and said so.
 * @module
 */
import { formatExactUsd } from "../pricing/money.ts";

/** One HTTP attempt that ended in an error instead of a response. */
export interface FailedAttempt {
  /** False only when the error proves the request never reached the API. */
  mayBeBilled: boolean;
  /** Why, in a few words, for the ledger row's error text. */
  reason: string;
}

/** Deno's fetch names the stage that failed; this one ends before the request is written. */
const CONNECT_STAGE = /client error \(Connect\)/;
/** Deno refuses these itself, before any connection: ports browsers block, e.g. 1. */
const BLOCKED_PORT = /Requests to port \d+ are blocked/;
/** What a connection lost under a written request says (hyper, the OS, the simulated reset). */
const CONNECTION_LOST = /connection closed|connection reset|broken pipe|connection aborted|unexpected eof/i;

/** Classifies what fetch (or the SDK's timeout, or the caller's abort) threw for one attempt. */
export function classifyFailedAttempt(error: unknown): FailedAttempt {
  const name = errorName(error);
  // The SDK's own timeout and the caller's abort: the request may be in the API's hands.
  if (name === "AbortError") return { mayBeBilled: true, reason: "timed out or aborted" };
  if (name === "NotCapable" || name === "PermissionDenied") {
    return { mayBeBilled: false, reason: "refused by Deno's permissions before connecting" };
  }
  const text = messages(error).join(": ");
  if (BLOCKED_PORT.test(text)) {
    return { mayBeBilled: false, reason: "port blocked by Deno before connecting" };
  }
  const connect = text.search(CONNECT_STAGE);
  if (connect >= 0) return { mayBeBilled: false, reason: connectReason(text.slice(connect)) };
  if (CONNECTION_LOST.test(text)) {
    return { mayBeBilled: true, reason: "connection lost after the request may have been sent" };
  }
  return { mayBeBilled: true, reason: "connection failed in an unrecognised way" };
}

/** Which part of making the connection failed (from Deno's detail), for the row; none of them costs. */
function connectReason(detail: string): string {
  if (/connection refused/i.test(detail)) return "connection refused";
  if (/dns error|failed to lookup address/i.test(detail)) return "DNS lookup failed";
  if (/tls|certificate|corrupt message|handshake|alert/i.test(detail)) return "TLS handshake failed";
  return "connection never established";
}

/**
 * Why the API could not be reached at all, when the SDK's connection error (`error`) proves that its last
 * attempt never reached it (see classifyFailedAttempt), else undefined: a timeout or a connection lost
 * under a written request may have reached it. The SDK keeps fetch's error as the `cause`.
 */
export function unreachableReason(error: unknown): string | undefined {
  if (errorName(error) !== "APIConnectionError") return undefined;
  const attempt = classifyFailedAttempt((error as { cause?: unknown }).cause);
  return attempt.mayBeBilled ? undefined : attempt.reason;
}

/**
 * What attempts that may have been billed with no readable answer cost: each at the worst case,
 * never zero, whether or not a retry then succeeded. That is each failed attempt that may have been
 * billed (classifyFailedAttempt), and a 2xx whose body could not be read. An HTTP error status was
 * answered and billed nothing.
 */
export function unansweredCost(attempts: number, worstCaseNano: number): number {
  return worstCaseNano * attempts;
}

/**
 * The ledger row's words for the failed attempts of one call: how many were booked at the
 * worst case and how many at $0, and why. Empty when none failed.
 */
export function failedAttemptsNote(attempts: readonly FailedAttempt[]): string {
  const billed = attempts.filter((a) => a.mayBeBilled);
  const free = attempts.filter((a) => !a.mayBeBilled);
  return [
    billed.length
      ? `${billed.length} attempt(s) may have been billed with no answer (${tally(billed)}): ` +
        "each booked at its worst case"
      : "",
    free.length ? `${free.length} attempt(s) never reached the API (${tally(free)}): booked at $0` : "",
  ].filter(Boolean).join("; ");
}

/**
 * The note for a response priced above the worst case its reservation held, or undefined when it
 * fits. It is booked as reported all the same: never less than what the API says it billed.
 */
export function overReservationNote(
  costNano: number,
  worstCaseNano: number,
  outputTokens: number,
  maxTokens: number,
): string | undefined {
  if (costNano <= worstCaseNano) return undefined;
  const output = outputTokens > maxTokens ? `output_tokens ${outputTokens} > max_tokens ${maxTokens}, ` : "";
  return `usage over the reservation: ${output}${formatExactUsd(costNano)} > ${
    formatExactUsd(worstCaseNano)
  } reserved; ` +
    "booked as reported";
}

/** "2 connection refused, 1 DNS lookup failed": reasons in the order first met, with counts. */
function tally(attempts: readonly FailedAttempt[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts) counts.set(a.reason, (counts.get(a.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(", ");
}

function errorName(error: unknown): string | undefined {
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === "string" ? name : undefined;
}

/** The messages of an error and its causes, outermost first: Deno puts the detail in the cause. */
function messages(error: unknown): string[] {
  const out: string[] = [];
  for (let e = error; e !== undefined && e !== null && out.length < 5; e = (e as { cause?: unknown }).cause) {
    out.push(typeof e === "object" ? String((e as { message?: unknown }).message ?? e) : String(e));
    if (typeof e !== "object") break;
  }
  return out;
}
