/**
 * What a failed attempt books, from the errors Deno 2.9.6's fetch really throws (a TypeError
 * "fetch failed" whose cause holds the detail), and the row notes. No network.
 */
import { assertEquals } from "../assert.ts";
import {
  classifyFailedAttempt,
  failedAttemptsNote,
  overReservationNote,
  unansweredCost,
  unreachableReason,
} from "../../src/claude/billing.ts";
import Anthropic from "@anthropic-ai/sdk";
import { ConnectionResetError } from "../../src/sim/faults.ts";

/** What Deno's fetch throws: the detail is in the cause. */
function fetchFailed(detail: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(detail) });
}

const REFUSED =
  "error sending request for url (http://127.0.0.1:44131/v1/messages): client error (Connect): " +
  "tcp connect error: Connection refused (os error 111)";
const DNS =
  "error sending request for url (http://nonexistent.pressroom.invalid/v1): client error (Connect): " +
  "dns error: failed to lookup address information: Name or service not known";
const TLS_CORRUPT = "error sending request for url (https://127.0.0.1:33781/): client error (Connect): " +
  "received corrupt message of type InvalidContentType";
const TLS_EOF =
  "error sending request for url (https://127.0.0.1:43971/v1/messages): client error (Connect): " +
  "tls handshake eof";
const CONNECT_TIMEOUT = "error sending request for url (https://example/): client error (Connect): " +
  "tcp connect error: Operation timed out (os error 60): Operation timed out (os error 60)";
const CLOSED = "error sending request from 127.0.0.1:53390 for http://127.0.0.1:46285/ (127.0.0.1:46285): " +
  "client error (SendRequest): connection closed before message completed";

Deno.test("errors that prove nothing reached the API are free: refused, DNS, TLS, Deno's own refusals", () => {
  const cases: [unknown, string][] = [
    [fetchFailed(REFUSED), "connection refused"],
    [fetchFailed(DNS), "DNS lookup failed"],
    [fetchFailed(TLS_CORRUPT), "TLS handshake failed"],
    [fetchFailed(TLS_EOF), "TLS handshake failed"],
    // The OS gave up connecting: no connection, so no request was written.
    [fetchFailed(CONNECT_TIMEOUT), "connection never established"],
    [new TypeError("Fetch failed: Requests to port 1 are blocked"), "port blocked by Deno before connecting"],
    [
      new Deno.errors.NotCapable('Requires net access to "10.1.2.3:80", run again with the --allow-net flag'),
      "refused by Deno's permissions before connecting",
    ],
  ];
  for (const [error, reason] of cases) {
    assertEquals(classifyFailedAttempt(error), { mayBeBilled: false, reason }, String(error));
  }
});

Deno.test("every other failure may have been billed: a timeout, an abort, a reset, anything unknown", () => {
  const lost = "connection lost after the request may have been sent";
  const cases: [unknown, string][] = [
    [new DOMException("The signal has been aborted", "AbortError"), "timed out or aborted"],
    [fetchFailed(CLOSED), lost],
    [new ConnectionResetError(), lost],
    [fetchFailed("error sending request: connection reset by peer (os error 104)"), lost],
    [new TypeError("fetch failed"), "connection failed in an unrecognised way"],
    [new Error("something new"), "connection failed in an unrecognised way"],
    ["a thrown string", "connection failed in an unrecognised way"],
  ];
  for (const [error, reason] of cases) {
    assertEquals(classifyFailedAttempt(error), { mayBeBilled: true, reason }, String(error));
  }
});

Deno.test("the row's note counts the attempts booked at the worst case and at $0, with why", () => {
  assertEquals(failedAttemptsNote([]), "");
  assertEquals(
    failedAttemptsNote([
      classifyFailedAttempt(fetchFailed(CLOSED)),
      classifyFailedAttempt(fetchFailed(REFUSED)),
      classifyFailedAttempt(new DOMException("aborted", "AbortError")),
      classifyFailedAttempt(fetchFailed(CLOSED)),
    ]),
    "3 attempt(s) may have been billed with no answer (2 connection lost after the request may have been sent, " +
      "1 timed out or aborted): each booked at its worst case; " +
      "1 attempt(s) never reached the API (1 connection refused): booked at $0",
  );
  assertEquals(
    failedAttemptsNote([classifyFailedAttempt(fetchFailed(DNS))]),
    "1 attempt(s) never reached the API (1 DNS lookup failed): booked at $0",
  );
  assertEquals(unansweredCost(3, 12_345), 37_035);
  assertEquals(unansweredCost(0, 12_345), 0);
});

Deno.test("a response priced above its worst case is noted with its figures, exact to the nano-dollar", () => {
  assertEquals(overReservationNote(52_000_000, 52_000_000, 2048, 2048), undefined, "at the worst case fits");
  assertEquals(
    overReservationNote(125_000_001, 52_000_000, 5000, 2048),
    "usage over the reservation: output_tokens 5000 > max_tokens 2048, $0.125000001 > $0.052000000 reserved; " +
      "booked as reported",
  );
  // Within max_tokens, but more input than the request could hold.
  assertEquals(
    overReservationNote(29_000_000, 12_345_678, 200, 256),
    "usage over the reservation: $0.029000000 > $0.012345678 reserved; booked as reported",
  );
  assertEquals(
    overReservationNote(3_000_000_000, 1_500_000_000, 10, 5),
    "usage over the reservation: output_tokens 10 > max_tokens 5, $3.000000000 > $1.500000000 reserved; " +
      "booked as reported",
  );
});

Deno.test("unreachableReason: only the SDK's connection error whose attempt never reached the API", () => {
  const connection = (cause: unknown) => new Anthropic.APIConnectionError({ cause: cause as Error });
  assertEquals(unreachableReason(connection(fetchFailed(REFUSED))), "connection refused");
  assertEquals(unreachableReason(connection(fetchFailed(DNS))), "DNS lookup failed");
  // Reached, or may have: a connection lost under a written request, and the SDK's timeout.
  assertEquals(unreachableReason(connection(fetchFailed(CLOSED))), undefined);
  assertEquals(unreachableReason(new Anthropic.APIConnectionTimeoutError()), undefined);
  // Not a connection error at all: the API answered.
  assertEquals(
    unreachableReason(new Anthropic.InternalServerError(500, undefined, "boom", new Headers())),
    undefined,
  );
  assertEquals(unreachableReason(fetchFailed(REFUSED)), undefined, "only what the SDK threw");
});
